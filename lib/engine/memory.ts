// Leak checks for tests and training loops: tfjs frees nothing on its own, so
// a loop step that forgets a dispose() grows memory until the process dies.
import * as tf from "@tensorflow/tfjs-core";

/** Distinct tensors reachable from `value` through arrays and plain objects. */
function tensorsIn(value: unknown, seen: Set<unknown> = new Set()): number {
  if (value == null || typeof value !== "object" || seen.has(value)) return 0;
  seen.add(value);
  if (value instanceof tf.Tensor) return value.isDisposed ? 0 : 1;
  const children = Array.isArray(value) ? value : Object.getPrototypeOf(value) === Object.prototype ? Object.values(value) : [];
  let n = 0;
  for (const child of children) n += tensorsIn(child, seen);
  return n;
}

/**
 * Run `fn` and count the tensors it left alive. Tensors returned in `result`
 * (directly, or inside arrays / plain objects) are the caller's and are not
 * counted as leaked.
 */
export function trackTensors<T>(fn: () => T): { result: T; leaked: number } {
  const before = tf.memory().numTensors;
  const result = fn();
  const leaked = tf.memory().numTensors - before - tensorsIn(result);
  return { result, leaked };
}
