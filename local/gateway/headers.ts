/** Case-insensitive, multi-valued HTTP headers that keep the name as first written. */
export class HeaderBag {
  private readonly map = new Map<string, { name: string; values: string[] }>();

  static from(entries: Iterable<[string, string | string[] | undefined]>): HeaderBag {
    const bag = new HeaderBag();
    for (const [k, v] of entries) {
      if (v === undefined) continue;
      for (const x of Array.isArray(v) ? v : [v]) bag.append(k, x);
    }
    return bag;
  }

  get(name: string): string[] | undefined {
    return this.map.get(name.toLowerCase())?.values;
  }

  first(name: string): string | undefined {
    return this.get(name)?.[0];
  }

  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }

  set(name: string, values: string[]): void {
    this.map.set(name.toLowerCase(), { name, values: [...values] });
  }

  append(name: string, value: string): void {
    const e = this.map.get(name.toLowerCase());
    if (e) e.values.push(value);
    else this.map.set(name.toLowerCase(), { name, values: [value] });
  }

  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }

  clone(): HeaderBag {
    const b = new HeaderBag();
    for (const { name, values } of this.map.values()) b.set(name, values);
    return b;
  }

  entries(): [string, string[]][] {
    return [...this.map.values()].map((e) => [e.name, [...e.values]]);
  }

  toRecord(): Record<string, string[]> {
    return Object.fromEntries(this.entries());
  }
}
