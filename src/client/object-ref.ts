/** A value that is, or will be, in the cluster. T is phantom (compile-time only); covariant. */
export class ObjectRef<T = unknown> {
  readonly id: string;
  declare private readonly __t?: () => T;

  private constructor(id: string) {
    this.id = id;
  }

  /** @internal Refs are made by the runtime only. */
  static of<T>(id: string): ObjectRef<T> {
    return new ObjectRef<T>(id);
  }

  toString(): string {
    return `ObjectRef(${this.id})`;
  }
}
