// Long-lived expression host for the local gateway: JSON lines on stdin/stdout, one request per line, correlated by id.
//   {"id":1,"op":"config","allow":{...}}                        -> {"id":1,"ok":true}
//   {"id":2,"op":"load","path":"x.dll","items":[{key,type}]}    -> {"id":2,"ok":true,"loaded":[keys],"refused":[{key,problems}],"batchProblems":[...]}
//   {"id":3,"op":"eval","key":"...","ctx":{...}}                -> {"id":3,"ok":true,"value":{type,value},"text":..., effects} | {"id":3,"ok":true,"error":{type,message}, effects}
// Host-level failures answer {"id":n,"ok":false,"hostError":"..."}. stdout carries nothing but these lines.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace ApimLocal.Host
{
    internal static class Program
    {
        private static readonly ConcurrentDictionary<string, Func<ApimLocal.Context.IContext, object>> Compiled =
            new ConcurrentDictionary<string, Func<ApimLocal.Context.IContext, object>>(StringComparer.Ordinal);
        private static readonly object WriteLock = new object();
        private static TextWriter protocolOut;
        private static AllowList allowList;

        public static int Main(string[] args)
        {
            protocolOut = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false, NewLine = "\n" };
            // Anything else that writes to Console goes to stderr, never into the protocol.
            Console.SetOut(Console.Error);
            var self = typeof(Program).Assembly;
            AppDomain.CurrentDomain.AssemblyResolve += (sender, e) => new AssemblyName(e.Name).Name == self.GetName().Name ? self : null;
            Send(new JObject { { "id", 0 }, { "ready", true }, { "runtime", Type.GetType("Mono.Runtime") != null ? "mono" : "clr" } });
            var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            string line;
            while ((line = input.ReadLine()) != null)
            {
                if (line.Length == 0) continue;
                JObject request;
                try { request = Parse(line); }
                catch (Exception e) { Send(new JObject { { "id", null }, { "ok", false }, { "hostError", "unparseable request line: " + e.Message } }); continue; }
                var id = request["id"];
                var op = (string)request["op"];
                if (op == "eval")
                {
                    var captured = request;
                    ThreadPool.QueueUserWorkItem(_ => Handle(captured));
                    continue;
                }
                if (op == "exit") break;
                Handle(request);
            }
            return 0;
        }

        private static void Handle(JObject request)
        {
            var id = request["id"];
            JObject response;
            try
            {
                switch ((string)request["op"])
                {
                    case "ping": response = new JObject { { "ok", true } }; break;
                    case "config":
                        allowList = AllowList.FromJson(request["allow"] as JObject ?? new JObject());
                        response = new JObject { { "ok", true } };
                        break;
                    case "load": response = Load(request); break;
                    case "eval": response = Evaluate(request); break;
                    default: throw new ProtocolException("unknown op '" + (string)request["op"] + "' (expected ping, config, load, eval, exit)");
                }
            }
            catch (ProtocolException e)
            {
                response = new JObject { { "ok", false }, { "hostError", "invalid request: " + e.Message } };
            }
            catch (Exception e)
            {
                response = new JObject { { "ok", false }, { "hostError", e.GetType().Name + ": " + e.Message } };
            }
            response.AddFirst(new JProperty("id", id));
            Send(response);
        }

        private static JObject Load(JObject request)
        {
            if (allowList == null) throw new ProtocolException("send config (the allow-list) before load");
            var path = (string)request["path"];
            var items = (request["items"] as JArray ?? new JArray()).Select(i => new { Key = (string)i["key"], Type = (string)i["type"] }).ToList();
            var assembly = Assembly.LoadFrom(path);
            var verifier = new Verifier(allowList, typeof(Program).Assembly, assembly);
            var expected = new HashSet<string>(items.Select(i => i.Type), StringComparer.Ordinal);
            var batchProblems = verifier.CheckStructure(expected);
            batchProblems.AddRange(verifier.CheckOtherTypes(expected));
            var loaded = new JArray();
            var refused = new JArray();
            foreach (var item in items)
            {
                var type = assembly.GetType(item.Type, false);
                if (type == null) { refused.Add(new JObject { { "key", item.Key }, { "problems", new JArray("type " + item.Type + " is missing from the compiled assembly") } }); continue; }
                var problems = verifier.CheckExpressionType(type);
                if (problems.Count > 0 || batchProblems.Count > 0)
                {
                    refused.Add(new JObject { { "key", item.Key }, { "problems", new JArray(problems.Concat(batchProblems).ToArray()) } });
                    continue;
                }
                var run = type.GetMethod("Run", BindingFlags.Public | BindingFlags.Static);
                var fn = (Func<ApimLocal.Context.IContext, object>)Delegate.CreateDelegate(typeof(Func<ApimLocal.Context.IContext, object>), run);
                Compiled[item.Key] = fn;
                loaded.Add(item.Key);
            }
            return new JObject { { "ok", true }, { "loaded", loaded }, { "refused", refused }, { "batchProblems", new JArray(batchProblems.ToArray()) } };
        }

        private static JObject Evaluate(JObject request)
        {
            var key = (string)request["key"];
            Func<ApimLocal.Context.IContext, object> fn;
            if (key == null || !Compiled.TryGetValue(key, out fn)) throw new ProtocolException("expression " + key + " is not compiled");
            var effects = new EvaluationEffects();
            var context = ContextBuilder.Build(request["ctx"] as JObject, effects);
            var response = new JObject { { "ok", true } };
            try
            {
                var value = fn(context);
                response["value"] = TypedValues.ToTyped(value);
                response["text"] = TypedValues.ToText(value);
            }
            catch (Exception e)
            {
                var inner = e is TargetInvocationException && e.InnerException != null ? e.InnerException : e;
                response["error"] = new JObject { { "type", inner.GetType().FullName }, { "message", inner.Message } };
            }
            response["requestBodyConsumed"] = effects.RequestBodyConsumed;
            response["responseBodyConsumed"] = effects.ResponseBodyConsumed;
            response["variableBodiesConsumed"] = new JArray(effects.VariableBodiesConsumed.Distinct().ToArray());
            response["traces"] = new JArray(effects.Traces.ToArray());
            return response;
        }

        private static JObject Parse(string line)
        {
            var reader = new JsonTextReader(new StringReader(line)) { DateParseHandling = DateParseHandling.None };
            var token = JToken.ReadFrom(reader) as JObject;
            if (token == null) throw new ProtocolException("a request must be a JSON object");
            return token;
        }

        private static void Send(JObject message)
        {
            var text = message.ToString(Formatting.None);
            lock (WriteLock)
            {
                protocolOut.Write(text);
                protocolOut.Write('\n');
                protocolOut.Flush();
            }
        }
    }
}
