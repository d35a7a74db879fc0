// AddN on webgpu for any number of inputs.
//
// Stock tfjs-backend-webgpu 4.22 binds every input of AddN as its own storage
// buffer in one shader. tfjs requests no raised maxStorageBuffersPerShaderStage,
// so the WebGPU default of 8 applies on every adapter: AddN of more than 7
// tensors fails pipeline validation, and Dawn only *prints* the validation
// error — the result comes back as garbage, silently. Training hits it at
// once: clipGradNorm sums one tensor per parameter, and tfjs's own gradient of
// a tensor used in several places sums their gradients with AddN. (Its Concat
// already splits its inputs this way.) Fix: sum in groups that fit.
import * as tf from "@tensorflow/tfjs-core";

interface WebGpuBackendLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: tf.DataId): boolean;
}

export function webgpuAddNKernel(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    ...stock,
    kernelFunc: (args) => {
      const inputs = args.inputs as unknown as tf.TensorInfo[];
      const backend = args.backend as unknown as WebGpuBackendLike;
      // One storage buffer is the output.
      const perShader = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
      if (inputs.length <= perShader) return stock.kernelFunc(args);
      const run = (group: tf.TensorInfo[]) => stock.kernelFunc({ ...args, inputs: group as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
      const partials: tf.TensorInfo[] = [];
      let level = inputs;
      while (level.length > perShader) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < level.length; i += perShader) {
          const group = level.slice(i, i + perShader);
          if (group.length === 1) {
            next.push(group[0]);
          } else {
            const partial = run(group);
            partials.push(partial);
            next.push(partial);
          }
        }
        level = next;
      }
      const out = run(level);
      // The backend defers freeing buffers still used by queued commands.
      for (const p of partials) backend.disposeData(p.dataId);
      return out;
    },
  };
}
