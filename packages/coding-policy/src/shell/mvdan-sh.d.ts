// Types for the parts of mvdan-sh (the GopherJS build of mvdan.cc/sh/v3/syntax) this package uses.
// Nodes are Go structs: field names as in https://pkg.go.dev/mvdan.cc/sh/v3/syntax. The package is
// CommonJS: import its default export (Node's ESM loader sees no named exports in it).
declare module 'mvdan-sh' {
  /** Any syntax node; read its fields after checking `syntax.NodeType(node)`. */
  // biome-ignore lint/suspicious/noExplicitAny: Go structs with many shapes, narrowed by NodeType
  export type ShNode = any;
  const mvdan: {
    readonly syntax: {
      NewParser(...options: unknown[]): { Parse(src: string, name: string): ShNode };
      Walk(node: ShNode, visit: (node: ShNode | null) => boolean): void;
      NodeType(node: ShNode): string;
    };
  };
  export default mvdan;
}
