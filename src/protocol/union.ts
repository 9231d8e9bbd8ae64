/**
 * Unions of objects told apart by `type`, each member given by its fields as a schema: the union's type, and its
 * check. Pure.
 */
import { type Static, type TLiteral, type TObject, type TProperties, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';

/** The union of the members' types: for each key T of `F`, an object with `type: T` and F[T]'s fields. */
export type UnionOf<F extends Record<string, TProperties>> = {
  [T in keyof F & string]: Static<TObject<{ type: TLiteral<T> } & F[T]>>;
}[keyof F & string];

export const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

/**
 * The check of a union of objects told apart by `type`, each member given by its fields. A value is checked against
 * its own member only (found by `type`, not by trying each), compiled the first time that type is seen: a process
 * pays for the types it receives, not for the whole protocol, when it starts.
 */
export class UnionCheck<M extends { type: string }> {
  private readonly compiled = new Map<string, TypeCheck<TObject>>();

  constructor(private readonly members: Readonly<Record<string, TProperties>>, private readonly what: string) {}

  /** Why `value` is no member of the union, or undefined when it is one. */
  problem(value: unknown): string | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `a ${this.what} must be an object, not ${describe(value)}`;
    const type: unknown = (value as { type?: unknown }).type;
    if (typeof type !== 'string') return `a ${this.what} without a type`;
    const check = this.member(type);
    if (!check) return `no ${this.what} has the type ${JSON.stringify(type.slice(0, 60))}`;
    if (check.Check(value)) return undefined;
    const first = check.Errors(value).First();
    if (!first) return `a malformed ${type} ${this.what}`;
    // The path holds the peer's own keys: escaped and cut, it stays one short line of a log.
    const where = JSON.stringify(first.path.slice(0, 120) || '/').slice(1, -1);
    return `a malformed ${type} ${this.what} (${where}: ${first.message.toLowerCase()})`;
  }

  is(value: unknown): value is M {
    return this.problem(value) === undefined;
  }

  private member(type: string): TypeCheck<TObject> | undefined {
    const known = this.compiled.get(type);
    if (known) return known;
    // Own keys only: a type named after something every object has (constructor, __proto__) is no member.
    const fields = Object.hasOwn(this.members, type) ? this.members[type] : undefined;
    if (!fields) return undefined;
    const check = TypeCompiler.Compile(Type.Object({ ...fields, type: Type.Literal(type) }));
    this.compiled.set(type, check);
    return check;
  }
}
