/**
 * Test helper: pretend to run inside a tslab kernel.
 *
 * lib/notebook/env.ts finds tslab by looking for a loaded `.../tslab/dist/jupyter.js` in
 * require.cache; registering a fake module there lets tests see exactly which display
 * messages the library would send, without Jupyter.
 */
import Module from "module";
import * as path from "path";

export interface DisplayCall {
  content: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id?: string } };
  update: boolean;
}

export async function withFakeTslab<T>(fn: (calls: DisplayCall[]) => Promise<T> | T): Promise<T> {
  const file = path.join(__dirname, "fixtures", "fake", "node_modules", "tslab", "dist", "jupyter.js");
  const calls: DisplayCall[] = [];
  const mod = new Module(file);
  mod.filename = file;
  mod.loaded = true;
  mod.exports = {
    lastWriteDisplayData: (content: DisplayCall["content"], update: boolean) => calls.push({ content, update }),
  };
  require.cache[file] = mod;
  try {
    return await fn(calls);
  } finally {
    delete require.cache[file];
  }
}
