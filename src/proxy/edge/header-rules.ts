import {
  HEADER_VARIABLES,
  HeaderVariable,
  parseTemplate,
  renderTemplate,
  TemplatePart,
} from '../../model/edge-rules';
import type { HeaderRules } from '../../model/route';

export type HeaderValues = Readonly<Record<HeaderVariable, string>>;
type Headers = Record<string, string | string[] | number>;

interface CompiledValue {
  name: string;
  parts: TemplatePart<HeaderVariable>[];
  /** The value when it holds no variable: rendered once, here. */
  fixed: string | null;
}

function compile(map: Record<string, string>): CompiledValue[] {
  return Object.entries(map).map(([name, template]) => {
    const parts = parseTemplate(template, HEADER_VARIABLES);
    return {
      name: name.toLowerCase(),
      parts,
      fixed: parts.every((p) => typeof p === 'string') ? parts.join('') : null,
    };
  });
}

/**
 * A route's `request_headers` or `response_headers`, compiled once: `remove` first, then `set`
 * (replaces), then `add` (appends to what is there). The names a rule may never touch were refused
 * when the route was validated (isProtectedHeader), so applying them needs no check.
 */
export class CompiledHeaderRules {
  private readonly remove: string[];
  private readonly set: CompiledValue[];
  private readonly add: CompiledValue[];
  /** Whether any value needs the request's variables. */
  readonly usesValues: boolean;

  constructor(rules: HeaderRules) {
    this.remove = rules.remove.map((name) => name.toLowerCase());
    this.set = compile(rules.set);
    this.add = compile(rules.add);
    this.usesValues = [...this.set, ...this.add].some((v) => v.fixed === null);
  }

  /** Applies the rules to a lower-case header object, in place. */
  apply(headers: Headers, values: HeaderValues | null): void {
    for (const name of this.remove) delete headers[name];
    for (const v of this.set)
      headers[v.name] = v.fixed ?? renderTemplate(v.parts, values as HeaderValues);
    for (const v of this.add) {
      const value = v.fixed ?? renderTemplate(v.parts, values as HeaderValues);
      const prior = headers[v.name];
      if (prior === undefined) headers[v.name] = value;
      else if (Array.isArray(prior)) headers[v.name] = [...prior, value];
      else headers[v.name] = [String(prior), value];
    }
  }
}
