import { Token } from "cdktf";

/**
 * Whether a string prop is known at synth, so a construct can check it: neither a CDKTF token (an attribute of
 * another resource, `Token.isUnresolved`) nor a raw Terraform expression written by hand (`"${var.name}"`, which
 * `Token.isUnresolved` does not see). A value that is not literal is passed through unchecked: Terraform resolves it.
 */
export function isLiteral(value: string): boolean {
  return !Token.isUnresolved(value) && !value.includes("${");
}
