// Enforces APIM's allow-list on compiled expressions: every type and member the IL of an expression touches
// (calls, field accesses, allocations, casts, tokens, locals, catch clauses) must be on the list the gateway sends.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using Newtonsoft.Json.Linq;

namespace ApimLocal.Host
{
    internal sealed class AllowList
    {
        // type full name (nested with +, generic arity dropped: List for List`1) -> allowed member names, or null for all members
        private readonly Dictionary<string, HashSet<string>> types = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);

        public static AllowList FromJson(JObject json)
        {
            var list = new AllowList();
            var typesJson = json["types"] as JObject;
            if (typesJson == null) throw new ProtocolException("allow-list needs { types: { \"Full.Type.Name\": \"*\" | [members] } }");
            foreach (var p in typesJson.Properties())
            {
                var name = WithoutArity(p.Name);
                if (p.Value.Type == JTokenType.String && (string)p.Value == "*") list.types[name] = null;
                else if (p.Value.Type == JTokenType.Array) list.types[name] = new HashSet<string>(p.Value.Select(v => (string)v), StringComparer.Ordinal);
                else throw new ProtocolException("allow-list entry " + p.Name + " must be \"*\" or an array of member names");
            }
            return list;
        }

        public bool TryGetMembers(string typeName, out HashSet<string> members)
        {
            return types.TryGetValue(WithoutArity(typeName), out members);
        }

        private static string WithoutArity(string name)
        {
            return System.Text.RegularExpressions.Regex.Replace(name, "`[0-9]+", "");
        }
    }

    internal sealed class Verifier
    {
        private static readonly OpCode[] OneByte = new OpCode[256];
        private static readonly OpCode[] TwoByte = new OpCode[256];

        static Verifier()
        {
            foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var code = (OpCode)field.GetValue(null);
                var value = (ushort)code.Value;
                if (code.Size == 1) OneByte[value] = code;
                else TwoByte[value & 0xff] = code;
            }
        }

        private readonly AllowList allow;
        private readonly Assembly host;
        private readonly Assembly expressions;

        public Verifier(AllowList allow, Assembly host, Assembly expressions)
        {
            this.allow = allow;
            this.host = host;
            this.expressions = expressions;
        }

        /// <summary>Problems that concern the whole assembly (code outside the generated wrappers).</summary>
        public List<string> CheckStructure(ICollection<string> expectedTypes)
        {
            var problems = new List<string>();
            foreach (var type in expressions.GetTypes())
            {
                if (type.IsNested)
                {
                    if (!type.Name.StartsWith("<")) problems.Add("declares nested type " + type.FullName);
                    continue;
                }
                if (!expectedTypes.Contains(type.FullName) && !type.Name.StartsWith("<")) problems.Add("declares type " + type.FullName);
            }
            return problems;
        }

        /// <summary>Everything an expression class (and its compiler-generated nested types) uses that is not allowed.</summary>
        public List<string> CheckExpressionType(Type type)
        {
            var problems = new List<string>();
            CheckTypeDefinition(type, problems, true);
            return problems.Distinct().ToList();
        }

        public List<string> CheckOtherTypes(ICollection<string> expectedTypes)
        {
            var problems = new List<string>();
            foreach (var type in expressions.GetTypes())
            {
                if (type.IsNested || expectedTypes.Contains(type.FullName)) continue;
                CheckTypeDefinition(type, problems, false);
            }
            return problems.Distinct().ToList();
        }

        private void CheckTypeDefinition(Type type, List<string> problems, bool isWrapper)
        {
            const BindingFlags all = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance;
            if (type.BaseType != null) CheckType(type.BaseType, problems, "derives from");
            foreach (var i in type.GetInterfaces()) CheckType(i, problems, "implements");
            foreach (var field in type.GetFields(all)) CheckType(field.FieldType, problems, "declares a field of");
            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                if (isWrapper && !method.IsConstructor && method.Name != "Run" && !method.Name.StartsWith("<") && !method.IsSpecialName)
                    problems.Add("declares method " + method.Name + " outside the expression");
                if ((method.Attributes & MethodAttributes.PinvokeImpl) != 0) { problems.Add("declares a native (extern/DllImport) method " + method.Name); continue; }
                var impl = method.GetMethodImplementationFlags();
                if ((impl & (MethodImplAttributes.InternalCall | MethodImplAttributes.Native | MethodImplAttributes.Unmanaged)) != 0)
                {
                    problems.Add("declares a native method " + method.Name);
                    continue;
                }
                var methodInfo = method as MethodInfo;
                if (methodInfo != null) CheckType(methodInfo.ReturnType, problems, "returns");
                foreach (var p in method.GetParameters()) CheckType(p.ParameterType, problems, "takes a parameter of");
                CheckBody(method, problems);
            }
            foreach (var nested in type.GetNestedTypes(all)) CheckTypeDefinition(nested, problems, false);
        }

        private void CheckBody(MethodBase method, List<string> problems)
        {
            var body = method.GetMethodBody();
            if (body == null) return;
            foreach (var local in body.LocalVariables) CheckType(local.LocalType, problems, "declares a local of");
            foreach (var clause in body.ExceptionHandlingClauses)
                if (clause.Flags == ExceptionHandlingClauseOptions.Clause) CheckType(clause.CatchType, problems, "catches");
            var il = body.GetILAsByteArray();
            var module = method.Module;
            var typeArgs = method.DeclaringType != null && method.DeclaringType.IsGenericType ? method.DeclaringType.GetGenericArguments() : null;
            var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
            var pos = 0;
            while (pos < il.Length)
            {
                OpCode code;
                var b = il[pos++];
                if (b == 0xFE)
                {
                    if (pos >= il.Length) break;
                    code = TwoByte[il[pos++]];
                }
                else code = OneByte[b];
                switch (code.OperandType)
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget:
                    case OperandType.ShortInlineI:
                    case OperandType.ShortInlineVar: pos += 1; break;
                    case OperandType.InlineVar: pos += 2; break;
                    case OperandType.InlineI8:
                    case OperandType.InlineR: pos += 8; break;
                    case OperandType.InlineSwitch:
                        var count = BitConverter.ToInt32(il, pos);
                        pos += 4 + 4 * count;
                        break;
                    case OperandType.InlineSig:
                        problems.Add("uses an indirect call (calli)");
                        pos += 4;
                        break;
                    case OperandType.InlineField:
                    case OperandType.InlineMethod:
                    case OperandType.InlineType:
                    case OperandType.InlineTok:
                        var token = BitConverter.ToInt32(il, pos);
                        pos += 4;
                        CheckToken(module, token, typeArgs, methodArgs, problems);
                        break;
                    default: pos += 4; break; // InlineI, InlineBrTarget, InlineString, ShortInlineR
                }
            }
        }

        private void CheckToken(Module module, int token, Type[] typeArgs, Type[] methodArgs, List<string> problems)
        {
            MemberInfo member;
            try { member = module.ResolveMember(token, typeArgs, methodArgs); }
            catch (Exception e) { problems.Add("references metadata token 0x" + token.ToString("x8") + " that cannot be resolved (" + e.Message + ")"); return; }
            var type = member as Type;
            if (type != null) { CheckType(type, problems, "uses"); return; }
            CheckMember(member, problems);
        }

        private void CheckMember(MemberInfo member, List<string> problems)
        {
            var declaring = member.DeclaringType;
            if (declaring == null) { problems.Add("uses global member " + member.Name); return; }
            CheckType(declaring, problems, "uses");
            var method = member as MethodInfo;
            if (method != null && method.IsGenericMethod)
                foreach (var arg in method.GetGenericArguments()) CheckType(arg, problems, "uses");
            if (IsOwn(declaring)) return;
            var definition = declaring.IsGenericType ? declaring.GetGenericTypeDefinition() : declaring;
            HashSet<string> members;
            if (!allow.TryGetMembers(Name(definition), out members))
            {
                // nested type of an all-members type (e.g. List<T>.Enumerator): allowed with its declaring type
                return;
            }
            if (members == null) return;
            var name = MemberName(member);
            if (members.Contains(name) || name.StartsWith("op_")) return;
            problems.Add("uses " + Name(definition) + "." + name + ", which is not allowed in API Management policy expressions (allowed members of " + Name(definition) + ": " + string.Join(", ", members.OrderBy(m => m, StringComparer.Ordinal)) + ")");
        }

        private static string MemberName(MemberInfo member)
        {
            var name = member.Name;
            if (member is ConstructorInfo) return ".ctor";
            var method = member as MethodInfo;
            if (method != null && method.IsSpecialName)
            {
                foreach (var prefix in new[] { "get_", "set_", "add_", "remove_" })
                    if (name.StartsWith(prefix)) return name.Substring(prefix.Length);
            }
            return name;
        }

        private bool IsOwn(Type type)
        {
            return type.Assembly == expressions || (type.Assembly == host && IsPublic(type));
        }

        private static bool IsPublic(Type type)
        {
            while (type.IsNested)
            {
                if (!type.IsNestedPublic) return false;
                type = type.DeclaringType;
            }
            return type.IsPublic;
        }

        private static string Name(Type type)
        {
            return type.FullName ?? (type.Namespace + "." + type.Name);
        }

        private void CheckType(Type type, List<string> problems, string verb)
        {
            if (type == null) return;
            if (type.IsByRef || type.IsPointer || type.IsArray) { CheckType(type.GetElementType(), problems, verb); return; }
            if (type.IsGenericParameter) return;
            if (type.IsGenericType && !type.IsGenericTypeDefinition)
            {
                CheckType(type.GetGenericTypeDefinition(), problems, verb);
                foreach (var arg in type.GetGenericArguments()) CheckType(arg, problems, verb);
                return;
            }
            if (type.Assembly == expressions) return;
            if (type.Assembly == host)
            {
                if (!IsPublic(type)) problems.Add(verb + " " + Name(type) + ", an internal type of the local gateway");
                return;
            }
            HashSet<string> members;
            if (allow.TryGetMembers(Name(type), out members)) return;
            var outer = type;
            while (outer.IsNested)
            {
                outer = outer.DeclaringType;
                if (allow.TryGetMembers(Name(outer.IsGenericType ? outer.GetGenericTypeDefinition() : outer), out members) && members == null) return;
            }
            problems.Add(verb + " type " + Name(type) + ", which is not allowed in API Management policy expressions");
        }
    }
}
