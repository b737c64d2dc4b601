// The `context` object that APIM hands to every policy expression, mirrored for the local gateway.
// Public types here are what expressions may name (IResponse, Jwt, ...); everything else in the host is internal.
// Shapes follow Microsoft's "API Management policy expressions" reference (context variable table).
using System;
using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;

namespace ApimLocal.Context
{
    public interface IUrl
    {
        string Scheme { get; }
        string Host { get; }
        int Port { get; }
        string Path { get; }
        /// <summary>The query including its leading '?', or "" when there is none.</summary>
        string QueryString { get; }
        IReadOnlyDictionary<string, string[]> Query { get; }
    }

    public interface IMessageBody
    {
        /// <summary>Reads the body as string, byte[], JObject, JArray, JToken, XNode, XElement or XDocument.
        /// Without preserveContent the body is consumed: later reads return null.</summary>
        T As<T>(bool preserveContent = false);
        /// <summary>Parses an application/x-www-form-urlencoded body: every value of every name, in order (the signature of
        /// Microsoft's API Management policy toolkit, IMessageBody). Without preserveContent the body is consumed; reading
        /// a consumed body this way throws NullReferenceException, as that toolkit's emulator does for API Management.</summary>
        IDictionary<string, IList<string>> AsFormUrlEncodedContent(bool preserveContent = false);
    }

    public interface IPrivateEndpointConnection
    {
        string Name { get; }
        string GroupId { get; }
        string MemberName { get; }
    }

    public interface IRequest
    {
        IMessageBody Body { get; }
        X509Certificate2 Certificate { get; }
        IReadOnlyDictionary<string, string[]> Headers { get; }
        string IpAddress { get; }
        IReadOnlyDictionary<string, string> MatchedParameters { get; }
        string Method { get; }
        IUrl OriginalUrl { get; }
        IUrl Url { get; }
        IPrivateEndpointConnection PrivateEndpointConnection { get; }
    }

    public interface IResponse
    {
        IMessageBody Body { get; }
        IReadOnlyDictionary<string, string[]> Headers { get; }
        int StatusCode { get; }
        string StatusReason { get; }
    }

    public interface ISubscriptionKeyParameterNames
    {
        string Header { get; }
        string Query { get; }
    }

    public interface IApi
    {
        string Id { get; }
        bool IsCurrentRevision { get; }
        string Name { get; }
        string Path { get; }
        IEnumerable<string> Protocols { get; }
        string Revision { get; }
        IUrl ServiceUrl { get; }
        ISubscriptionKeyParameterNames SubscriptionKeyParameterNames { get; }
        string Version { get; }
    }

    public interface IOperation
    {
        string Id { get; }
        string Method { get; }
        string Name { get; }
        string UrlTemplate { get; }
    }

    public interface IDeployment
    {
        string GatewayId { get; }
        string Region { get; }
        string ServiceName { get; }
        string ServiceId { get; }
        IReadOnlyDictionary<string, X509Certificate2> Certificates { get; }
    }

    public interface ILastError
    {
        string Source { get; }
        string Reason { get; }
        string Message { get; }
        string Scope { get; }
        string Section { get; }
        string Path { get; }
        string PolicyId { get; }
    }

    public interface IGroup
    {
        string Id { get; }
        string Name { get; }
    }

    public interface IUserIdentity
    {
        string Id { get; }
        string Provider { get; }
    }

    public interface IUser
    {
        string Email { get; }
        string FirstName { get; }
        IEnumerable<IGroup> Groups { get; }
        string Id { get; }
        IEnumerable<IUserIdentity> Identities { get; }
        string LastName { get; }
        string Note { get; }
        DateTime RegistrationDate { get; }
    }

    public interface ISubscription
    {
        DateTime CreatedDate { get; }
        DateTime? EndDate { get; }
        string Id { get; }
        string Key { get; }
        string Name { get; }
        string PrimaryKey { get; }
        string SecondaryKey { get; }
        DateTime? StartDate { get; }
    }

    public enum ProductState { NotPublished, Published }

    public interface IProduct
    {
        IEnumerable<IApi> Apis { get; }
        bool ApprovalRequired { get; }
        IEnumerable<IGroup> Groups { get; }
        string Id { get; }
        string Name { get; }
        ProductState State { get; }
        int? SubscriptionLimit { get; }
        bool SubscriptionRequired { get; }
    }

    /// <summary>The implicit `context` variable. Read-only, like APIM's.</summary>
    public interface IContext
    {
        IApi Api { get; }
        IDeployment Deployment { get; }
        TimeSpan Elapsed { get; }
        ILastError LastError { get; }
        IOperation Operation { get; }
        IProduct Product { get; }
        IRequest Request { get; }
        Guid RequestId { get; }
        IResponse Response { get; }
        ISubscription Subscription { get; }
        DateTime Timestamp { get; }
        bool Tracing { get; }
        IUser User { get; }
        IReadOnlyDictionary<string, object> Variables { get; }
        void Trace(string message);
    }

    public sealed class BasicAuthCredentials
    {
        public BasicAuthCredentials(string userId, string password) { UserId = userId; Password = password; }
        public string UserId { get; private set; }
        public string Password { get; private set; }
    }

    /// <summary>A parsed (not validated) JSON Web Token, as returned by AsJwt/TryParseJwt.</summary>
    public sealed class Jwt
    {
        internal Jwt() { }
        public string Algorithm { get; internal set; }
        public IEnumerable<string> Audiences { get; internal set; }
        public IReadOnlyDictionary<string, string[]> Claims { get; internal set; }
        public DateTime? ExpirationTime { get; internal set; }
        public string Id { get; internal set; }
        public string Issuer { get; internal set; }
        public DateTime? IssuedAt { get; internal set; }
        public DateTime? NotBefore { get; internal set; }
        public string Subject { get; internal set; }
        public string Type { get; internal set; }
        internal string Raw { get; set; }
        public override string ToString() { return Raw; }
    }
}
