import { getMetadataStorage, ValidationArguments, ValidationTypes } from 'class-validator';

/**
 * A DTO's class-validator rules, looked up once per class and kept, so that telling whether a value
 * is valid costs only the rules themselves: class-validator looks every rule up again, per object
 * and per property, on every call (a third of a registration's validation). The verdict follows
 * ValidationExecutor step by step for the options the global pipe uses (whitelist,
 * forbidNonWhitelisted, forbidUnknownValues; no groups, no skip* option), calling the very same
 * constraint instances. It only says yes or no: a "no" (or "cannot tell", for async rules and
 * promised values) goes to class-validator itself, which writes the messages. So the rules and
 * their messages are said once, in the DTOs; this file adds no rule of its own. Pure.
 */

/** `true`: valid; `false`: invalid; `null`: cannot tell here (async), ask class-validator. */
export type Verdict = boolean | null;

interface Constraint {
  instance: { validate(value: unknown, args: ValidationArguments): unknown };
  async: boolean;
}

interface Rule {
  each: boolean;
  constraints: readonly unknown[];
  validateIf?: (object: object, value: unknown) => boolean;
  checks: readonly Constraint[];
}

interface PropertyPlan {
  name: string;
  /** ValidateIf / IsOptional: every one must say yes for the property to be validated. */
  conditions: readonly ((object: object, value: unknown) => boolean)[];
  /** IsDefined and custom rules alike: run after the conditions, in declaration order. */
  rules: readonly Rule[];
  /** How many ValidateNested rules the property has (each one validates the value again). */
  nested: number;
  /** A ValidatePromise rule: promised values are class-validator's to wait for. */
  promise: boolean;
}

interface ClassPlan {
  /** No rule at all: forbidUnknownValues refuses such an object. */
  empty: boolean;
  properties: readonly PropertyPlan[];
  known: ReadonlySet<string>;
}

const plans = new Map<unknown, ClassPlan>();

function planOf(target: new (...args: unknown[]) => unknown): ClassPlan {
  let plan = plans.get(target);
  if (plan) return plan;
  const storage = getMetadataStorage();
  const metadatas = storage.getTargetValidationMetadatas(
    target,
    undefined as unknown as string,
    false,
    false,
    undefined,
  );
  const grouped = storage.groupByPropertyName(metadatas);
  const properties = Object.keys(grouped).map((name): PropertyPlan => {
    const own = grouped[name].filter((m) => m.type !== ValidationTypes.WHITELIST);
    const ruleOf = (m: (typeof own)[number]): Rule => ({
      each: m.each === true,
      constraints: m.constraints ?? [],
      validateIf: m.validateIf,
      checks: storage
        .getTargetValidatorConstraints(m.constraintCls)
        .map((c) => ({ instance: c.instance, async: c.async === true })),
    });
    return {
      name,
      conditions: own
        .filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION)
        .map((m) => m.constraints[0] as (object: object, value: unknown) => boolean),
      rules: [
        ...own.filter((m) => m.type === ValidationTypes.IS_DEFINED),
        ...own.filter((m) => m.type === ValidationTypes.CUSTOM_VALIDATION),
      ].map(ruleOf),
      nested: own.filter((m) => m.type === ValidationTypes.NESTED_VALIDATION).length,
      promise: own.some((m) => m.type === ValidationTypes.PROMISE_VALIDATION),
    };
  });
  plan = { empty: metadatas.length === 0, properties, known: new Set(Object.keys(grouped)) };
  plans.set(target, plan);
  return plan;
}

const isCollection = (value: unknown): value is unknown[] | Set<unknown> | Map<unknown, unknown> =>
  Array.isArray(value) || value instanceof Set || value instanceof Map;

/** Combines verdicts: one `false` decides; else one `null` leaves it open. */
function and(a: Verdict, b: Verdict): Verdict {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

function ruleHolds(rule: Rule, object: object, property: string, value: unknown): Verdict {
  if (rule.validateIf && !rule.validateIf(object, value)) return true;
  const args: ValidationArguments = {
    targetName: object.constructor?.name,
    property,
    object,
    value,
    constraints: rule.constraints as unknown[],
  };
  // With `each`, every item of a collection is validated; the arguments still carry the whole value.
  const values = rule.each && isCollection(value) ? [...convert(value)] : [value];
  for (const check of rule.checks) {
    if (check.async) return null;
    for (const item of values) {
      const result = check.instance.validate(item, args);
      if (result instanceof Promise) return null;
      if (!result) return false;
    }
  }
  return true;
}

function convert(value: unknown[] | Set<unknown> | Map<unknown, unknown>): Iterable<unknown> {
  return value instanceof Map ? value.values() : value;
}

/** ValidationExecutor.nestedValidations for one rule: collections item by item, objects whole. */
function nestedHolds(value: unknown, nested: number): Verdict {
  let verdict: Verdict = true;
  for (let i = 0; i < nested; i++) {
    if (isCollection(value)) {
      for (const item of convert(value)) {
        verdict = and(verdict, item === undefined ? true : nestedHolds(item, nested));
        if (verdict === false) return false;
      }
    } else if (value instanceof Object) {
      verdict = and(verdict, verdictOf(value));
    } else {
      return false;
    }
    if (verdict === false) return false;
  }
  return verdict;
}

/** Whether class-validator would find no error in `object` (an instance of its DTO class). */
export function verdictOf(object: object): Verdict {
  if (typeof object.constructor !== 'function') return null;
  const plan = planOf(object.constructor as new (...args: unknown[]) => unknown);
  if (plan.empty) return false;
  for (const key of Object.keys(object)) if (!plan.known.has(key)) return false;
  let verdict: Verdict = true;
  for (const property of plan.properties) {
    const value = (object as Record<string, unknown>)[property.name];
    if (property.promise && value instanceof Promise) return null;
    if (!property.conditions.every((condition) => condition(object, value))) continue;
    for (const rule of property.rules) {
      verdict = and(verdict, ruleHolds(rule, object, property.name, value));
      if (verdict === false) return false;
    }
    if (property.nested > 0 && value !== undefined) {
      verdict = and(verdict, nestedHolds(value, property.nested));
      if (verdict === false) return false;
    }
  }
  return verdict;
}
