import { tableProblemRule } from "./known-elements.js";

/**
 * Every `<when>` and `<otherwise>` of a `<choose>` holds at least one policy statement (comments do
 * not count): the choose page describes each as holding "one or more policy statements", so an empty
 * branch used only to stop the branches after it may be refused on deploy. The element table marks
 * them (`statementRequired`, apim-policy/elements.ts) and the local gateway refuses them too.
 */
export const whenNotEmpty = tableProblemRule("when-not-empty", "Each <when> and <otherwise> of a <choose> holds at least one policy statement.", ["empty-element"], { withFile: true });
