// Identity on wasm without a copy.
//
// tfjs clones every tensor it saves for the backward pass (engine
// saveTensorsForBackwardMode), and stock wasm Identity memcpys each one: ~280
// copies and ~20 ms in a 2-block GPT training step. Sharing the buffer with a
// reference count, as the cpu backend's Identity does, is safe because tfjs
// never writes into an existing buffer: kernels write fresh outputs and
// Variable.assign swaps buffers.
import * as tf from "@tensorflow/tfjs-core";

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

export function wasmIdentityKernel(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: "wasm",
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === "string") {
        if (!stock) throw new Error("wasm Identity: the stock kernel is missing");
        return stock.kernelFunc(args);
      }
      (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  };
}
