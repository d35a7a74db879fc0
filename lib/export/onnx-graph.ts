/**
 * A small typed builder of ONNX graphs over the `onnx-proto` package (protobufjs classes generated
 * from onnx.proto): graph inputs and outputs with named (symbolic) dimensions, initializers from
 * typed arrays, nodes of the default domain, and serialization to the bytes of a `.onnx` file.
 *
 * It checks the graph before writing (every node input defined earlier, every output produced, no
 * name defined twice), so a builder mistake is a clear error here rather than an ONNX Runtime one.
 */
import { onnx } from "onnx-proto";

/** Element types the exporters need. */
export type OnnxElementType = "float32" | "int64" | "bool";

/** A dimension: a fixed size, or a symbolic name such as "batch_size". */
export type OnnxDim = number | string;

/** A typed node attribute (ONNX distinguishes int from float attributes, JavaScript numbers do not). */
export type OnnxAttribute =
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "ints"; value: number[] }
  | { kind: "floats"; value: number[] };

/** Attribute constructors: `{ axis: attr.int(-1), epsilon: attr.float(1e-5) }`. */
export const attr = {
  int: (value: number): OnnxAttribute => ({ kind: "int", value }),
  float: (value: number): OnnxAttribute => ({ kind: "float", value }),
  ints: (value: number[]): OnnxAttribute => ({ kind: "ints", value }),
  floats: (value: number[]): OnnxAttribute => ({ kind: "floats", value }),
};

const ELEMENT_TYPES: Record<OnnxElementType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** The IR version that goes with opsets 17-21 (ONNX 1.12+); onnx-proto's own enum stops at 8. */
const IR_VERSION = 8;

/** Protobuf messages cannot exceed 2 GiB; larger models need ONNX's external-data format. */
const MAX_PROTO_BYTES = 2 ** 31 - 1;

export interface OnnxModelOptions {
  /** Opset of the default domain (the exporters use 17: LayerNormalization's first). */
  opset: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Stored as the model's metadata_props. */
  metadata?: Record<string, string>;
}

export class OnnxGraph {
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly nodes: onnx.INodeProto[] = [];
  /** Every tensor name defined so far (inputs, initializers, node outputs). */
  private readonly defined = new Set<string>();
  private readonly counters = new Map<string, number>();
  private initializerBytes = 0;

  constructor(readonly name: string) {}

  inputNames(): string[] {
    return this.inputs.map((i) => i.name!);
  }

  outputNames(): string[] {
    return this.outputs.map((o) => o.name!);
  }

  /** Declares a graph input; returns its name for use as a node input. */
  addInput(name: string, type: OnnxElementType, dims: OnnxDim[]): string {
    this.define(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output; a node must produce a tensor of this name (see `op`'s `outputName`). */
  addOutput(name: string, type: OnnxElementType, dims: OnnxDim[]): void {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`ONNX graph: output '${name}' declared twice`);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /**
   * A constant tensor stored in the file (weights). Float data is stored raw (little-endian, no copy);
   * int64 data as the proto's int64 list (small index and shape constants).
   */
  addInitializer(name: string, values: Float32Array | number[], dims: number[], type: OnnxElementType = "float32"): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`ONNX initializer '${name}': ${values.length} values for shape [${dims}] (${size})`);
    this.define(name);
    const tensor: onnx.ITensorProto = { name, dims, dataType: ELEMENT_TYPES[type] };
    if (type === "float32") {
      const floats = values instanceof Float32Array ? values : Float32Array.from(values);
      tensor.rawData = littleEndianBytes(floats);
      this.initializerBytes += floats.byteLength;
    } else if (type === "int64") {
      if (!Array.from(values).every((v) => Number.isSafeInteger(v))) throw new Error(`ONNX initializer '${name}': int64 values must be safe integers`);
      tensor.int64Data = Array.from(values);
      this.initializerBytes += 8 * values.length;
    } else {
      tensor.int32Data = Array.from(values, (v) => (v ? 1 : 0)); // bool is stored in int32_data
      this.initializerBytes += values.length;
    }
    this.initializers.push(tensor);
    return name;
  }

  /** A small constant (scalar when `dims` is []), auto-named. */
  constant(values: number[], type: OnnxElementType, dims: number[] = [values.length]): string {
    return this.addInitializer(this.freshName(`const_${type}`), values, dims, type);
  }

  /**
   * Adds a node of the default ONNX domain with one output and returns that output's name
   * (`outputName` when given, e.g. a graph output's name; else a fresh one).
   */
  op(opType: string, inputs: string[], attrs: Record<string, OnnxAttribute> = {}, outputName?: string): string {
    const output = outputName ?? this.freshName(opType);
    for (const input of inputs) {
      // "" is ONNX's "optional input left out".
      if (input !== "" && !this.defined.has(input)) throw new Error(`ONNX graph: node ${opType} reads '${input}', which is not defined yet`);
    }
    this.define(output);
    this.nodes.push({
      opType,
      name: `${opType}_${this.nodes.length}`,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([name, a]) => attributeProto(name, a)),
    });
    return output;
  }

  /** The graph as a ModelProto, checked: every declared output must be produced. */
  toModelProto(opts: OnnxModelOptions): onnx.IModelProto {
    for (const o of this.outputs) {
      if (!this.defined.has(o.name!)) throw new Error(`ONNX graph: output '${o.name}' is declared but nothing produces it`);
    }
    if (this.initializerBytes > MAX_PROTO_BYTES) {
      throw new Error(`ONNX graph: ${(this.initializerBytes / 2 ** 30).toFixed(2)} GiB of weights exceed protobuf's 2 GiB limit (external data is not supported)`);
    }
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: opts.opset }],
      producerName: opts.producerName ?? "hands-on-llm",
      producerVersion: opts.producerVersion ?? "",
      docString: opts.docString ?? "",
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  /** The bytes of the `.onnx` file. */
  serialize(opts: OnnxModelOptions): Uint8Array {
    return onnx.ModelProto.encode(this.toModelProto(opts)).finish();
  }

  private define(name: string): void {
    if (name === "") throw new Error("ONNX graph: empty tensor name");
    if (this.defined.has(name)) throw new Error(`ONNX graph: tensor '${name}' defined twice`);
    this.defined.add(name);
  }

  private freshName(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name = `/${prefix}_${n}`;
    while (this.defined.has(name)) name = `/${prefix}_${++n}`;
    this.counters.set(prefix, n + 1);
    return name;
  }
}

function valueInfo(name: string, type: OnnxElementType, dims: OnnxDim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPES[type],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attributeProto(name: string, a: OnnxAttribute): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case "int":
      return { name, type: T.INT, i: a.value };
    case "float":
      return { name, type: T.FLOAT, f: a.value };
    case "ints":
      return { name, type: T.INTS, ints: a.value };
    case "floats":
      return { name, type: T.FLOATS, floats: a.value };
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** raw_data is little-endian by the ONNX spec: a view on little-endian hosts, a swapped copy otherwise. */
function littleEndianBytes(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}
