import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as zlib from "zlib";
import {
  BACKGROUND, COLOUR_RGB, HELD_OUT_PAIRS, SHAPE_COLOURS, SHAPE_KINDS, ShapeAttributes, compositionalSplit, drawShape,
  drawShapeWithGeometry, encodePng, imageGrid, makeShapeDataset, shapeCaption, shapePrompt, showImages,
} from "../lib/multimodal";
import { Rng } from "../lib/util/random";
import { withFakeTslab } from "./fake-tslab";

const exact = { noise: 0, colourJitter: 0, positionJitter: 0, radius: 8 };
const f32 = (x: number) => Math.fround(x);

/**
 * Coloured pixels as a 32x32 boolean grid: some channel further than the noise (0.04) from the background
 * grey. Every colour has a channel <= 0.3 while the background stays >= 0.88.
 */
function mask(pixels: Float32Array, size = 32): boolean[][] {
  const far = (i: number) => Math.abs(pixels[i] - BACKGROUND) > 0.05;
  return Array.from({ length: size }, (_, y) => Array.from({ length: size }, (_, x) => far((y * size + x) * 3) || far((y * size + x) * 3 + 1) || far((y * size + x) * 3 + 2)));
}
const count = (m: boolean[][]) => m.flat().filter(Boolean).length;
const rowWidth = (m: boolean[][], y: number) => m[y].filter(Boolean).length;

const attrs = (shape: ShapeAttributes["shape"], extra: Partial<ShapeAttributes> = {}): ShapeAttributes => ({ colour: "red", shape, size: "large", position: "center", ...extra });

test("a square of radius 8 at the centre covers exactly the 14 x 14 pixels whose centres are within 6.8 px", () => {
  const pixels = drawShape(attrs("square"), exact);
  const m = mask(pixels);
  // Half-side 0.85 * 8 = 6.8 around 16: pixel centres x + 0.5 in [9.2, 22.8] -> x = 9 .. 22.
  assert.equal(count(m), 14 * 14);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) assert.equal(m[y][x], x >= 9 && x <= 22 && y >= 9 && y <= 22, `pixel (${x}, ${y})`);
  // Inside: the colour exactly; outside: the background exactly (no noise, no jitter).
  assert.deepEqual([...pixels.subarray((16 * 32 + 16) * 3, (16 * 32 + 16) * 3 + 3)], COLOUR_RGB.red.map(f32));
  assert.deepEqual([...pixels.subarray(0, 3)], [BACKGROUND, BACKGROUND, BACKGROUND].map(f32));
});

test("a circle of radius 8 covers about pi r^2 pixels, symmetric, with hand-checked edge pixels", () => {
  const m = mask(drawShape(attrs("circle"), exact));
  assert.ok(Math.abs(count(m) - Math.PI * 64) < 8, `${count(m)} pixels vs pi r^2 = ${(Math.PI * 64).toFixed(1)}`);
  assert.equal(m[15][23], true); // centre (23.5, 15.5): 7.5² + 0.5² = 56.5 <= 64
  assert.equal(m[16][24], false); // centre (24.5, 16.5): 8.5 > 8
  assert.equal(m[10][10], true); // (10.5, 10.5): 5.5² + 5.5² = 60.5 <= 64
  assert.equal(m[9][10], false); // (10.5, 9.5): 5.5² + 6.5² = 72.5 > 64
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) assert.equal(m[y][x], m[31 - y][31 - x], "point symmetry about (16, 16)");
});

test("a triangle widens row by row from its apex to its base; a cross has full-width arms through the centre", () => {
  const t = mask(drawShape(attrs("triangle"), exact));
  const rows = Array.from({ length: 32 }, (_, y) => rowWidth(t, y)).filter((w) => w > 0);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i] >= rows[i - 1], `row widths ${rows}`);
  // Base at dy <= 0.8 r = 6.4: row 21 (centre 21.5, dy 5.5) is the last, half-width (5.5 + 8) / 1.8 = 7.5 -> 16 pixels.
  assert.equal(rowWidth(t, 21), 16);
  assert.equal(rowWidth(t, 22), 0);
  const c = mask(drawShape(attrs("cross"), exact));
  // Arms: |dx| <= 8 along the middle rows (x = 8 .. 23: 16 pixels); |dx| <= 2.8 elsewhere (x = 13 .. 18: 6 pixels).
  assert.equal(rowWidth(c, 16), 16);
  assert.equal(rowWidth(c, 10), 6);
  assert.equal(rowWidth(c, 7), 0);
});

test("position and size attributes move and scale the shape", () => {
  const centroid = (m: boolean[][]) => {
    let sx = 0, sy = 0, n = 0;
    m.forEach((row, y) => row.forEach((v, x) => { if (v) { sx += x + 0.5; sy += y + 0.5; n++; } }));
    return [sx / n, sy / n];
  };
  for (let seed = 0; seed < 5; seed++) {
    const [lx] = centroid(mask(drawShape(attrs("circle", { position: "left", size: "small" }), { seed })));
    const [rx] = centroid(mask(drawShape(attrs("circle", { position: "right", size: "small" }), { seed })));
    const [, ty] = centroid(mask(drawShape(attrs("square", { position: "top", size: "small" }), { seed })));
    const [, by] = centroid(mask(drawShape(attrs("square", { position: "bottom", size: "small" }), { seed })));
    assert.ok(lx < 12 && rx > 20 && ty < 12 && by > 20, `centroids left ${lx} right ${rx} top ${ty} bottom ${by}`);
    const small = count(mask(drawShape(attrs("square", { size: "small" }), { seed })));
    const large = count(mask(drawShape(attrs("square", { size: "large" }), { seed })));
    assert.ok(large > 2 * small, `large ${large} vs small ${small} pixels`);
  }
});

test("drawing is reproducible from a seed; noise and colour jitter stay within their amplitudes", () => {
  const a = drawShapeWithGeometry(attrs("cross", { colour: "blue" }), { seed: 7 });
  const b = drawShapeWithGeometry(attrs("cross", { colour: "blue" }), { seed: 7 });
  const c = drawShapeWithGeometry(attrs("cross", { colour: "blue" }), { seed: 8 });
  assert.deepEqual(a.pixels, b.pixels);
  assert.notDeepEqual(a.pixels, c.pixels);
  const m = mask(a.pixels);
  a.pixels.forEach((v, i) => {
    const pixel = Math.floor(i / 3);
    const inside = m[Math.floor(pixel / 32)][pixel % 32];
    const base = inside ? COLOUR_RGB.blue[i % 3] : BACKGROUND;
    const amplitude = inside ? 0.06 : 0.04;
    assert.ok(v >= 0 && v <= 1 && Math.abs(v - base) <= amplitude + 1e-6, `value ${v} at ${i} (base ${base})`);
  });
  assert.throws(() => drawShape({ ...attrs("circle"), colour: "pink" as never }), /unknown colour 'pink'/);
  assert.throws(() => drawShape(attrs("circle"), { imageSize: 5 }), /imageSize/);
});

test("captions: the full plain caption, varied partial ones, prompts with the right article", () => {
  assert.equal(shapeCaption({ colour: "red", shape: "circle", size: "large", position: "left" }), "a large red circle on the left");
  assert.equal(shapeCaption({ colour: "orange", shape: "cross", size: "small", position: "center" }), "a small orange cross in the center");
  assert.equal(shapePrompt("orange", "square"), "a photo of an orange square");
  assert.equal(shapePrompt("red", "circle"), "a photo of a red circle");
  const rng = new Rng(3);
  const varied = Array.from({ length: 200 }, () => shapeCaption({ colour: "orange", shape: "triangle", size: "large", position: "top" }, { rng }));
  for (const c of varied) {
    assert.match(c, /\borange triangle\b/);
    assert.match(c, /^(a photo of |a picture of |an image of )?an? (large )?orange triangle( at the top)?$/);
    assert.ok(!/\ba orange\b|\ban large\b/.test(c), c);
  }
  const withoutSize = varied.filter((c) => !c.includes("large")).length / varied.length;
  const withoutPosition = varied.filter((c) => !c.includes("top")).length / varied.length;
  assert.ok(withoutSize > 0.15 && withoutSize < 0.35 && withoutPosition > 0.15 && withoutPosition < 0.35, `${withoutSize} ${withoutPosition}`);
});

test("the compositional split holds out 6 pairs and keeps every colour and shape in training", () => {
  const { train, heldOut } = compositionalSplit();
  assert.equal(train.length, 18);
  assert.deepEqual(heldOut.map((p) => `${p.colour} ${p.shape}`).sort(), HELD_OUT_PAIRS.map((p) => `${p.colour} ${p.shape}`).sort());
  for (const c of SHAPE_COLOURS) assert.ok(train.filter((p) => p.colour === c).length >= 3, c);
  for (const s of SHAPE_KINDS) assert.ok(train.filter((p) => p.shape === s).length >= 4, s);
  const data = makeShapeDataset({ count: 300, seed: 1, pairs: train });
  const held = new Set(heldOut.map((p) => `${p.colour} ${p.shape}`));
  assert.ok(data.every((e) => !held.has(`${e.attributes.colour} ${e.attributes.shape}`)), "a held-out pair was drawn");
  assert.ok(data.every((e) => e.caption.includes(`${e.attributes.colour} ${e.attributes.shape}`) && e.pixels.length === 32 * 32 * 3));
  assert.deepEqual(makeShapeDataset({ count: 5, seed: 1, pairs: train }).map((e) => e.caption), data.slice(0, 5).map((e) => e.caption));
});

/** Decodes an 8-bit RGB, filter-0 PNG (what encodePng writes), checking every chunk's CRC with zlib's own crc32. */
function decodePng(png: Buffer): { width: number; height: number; rgb: Uint8Array } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8, width = 0, height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString("ascii");
    const data = png.subarray(offset + 8, offset + 8 + length);
    assert.equal(png.readUInt32BE(offset + 8 + length), (zlib as unknown as { crc32(b: Buffer): number }).crc32(png.subarray(offset + 4, offset + 8 + length)), `${type} CRC`);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 2, 0, 0, 0]);
    }
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (1 + width * 3)], 0, "filter type");
    rgb.set(raw.subarray(y * (1 + width * 3) + 1, (y + 1) * (1 + width * 3)), y * width * 3);
  }
  return { width, height, rgb };
}

test("encodePng writes a valid PNG whose pixels are the image's, enlarged by repetition", () => {
  const pixels = drawShape(attrs("triangle", { colour: "green" }), { seed: 3 });
  const one = decodePng(encodePng(pixels, 32, 32));
  assert.equal(one.width, 32);
  one.rgb.forEach((v, i) => assert.equal(v, Math.round(pixels[i] * 255)));
  const big = decodePng(encodePng(pixels, 32, 32, 3));
  assert.equal(big.width, 96);
  for (const [X, Y] of [[0, 0], [50, 47], [95, 95], [48, 60]]) {
    for (let c = 0; c < 3; c++) assert.equal(big.rgb[(Y * 96 + X) * 3 + c], one.rgb[(Math.floor(Y / 3) * 32 + Math.floor(X / 3)) * 3 + c]);
  }
  assert.throws(() => encodePng(pixels, 31, 32), /expected 2976/);
});

test("imageGrid and showImages: inline PNGs with captions in one text/html display", async () => {
  const items = makeShapeDataset({ count: 3, seed: 2 }).map((e) => ({ pixels: e.pixels, caption: e.caption }));
  const grid = imageGrid(items, { columns: 3, title: "Shapes <3>" });
  assert.equal((grid.html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 3);
  assert.ok(grid.html.includes("Shapes &lt;3&gt;"));
  for (const item of items) assert.ok(grid.html.includes(item.caption) && grid.plain.includes(item.caption));
  await withFakeTslab((calls) => {
    showImages(items);
    assert.equal(calls.length, 1);
    assert.ok(String(calls[0].content.data["text/html"]).includes("data:image/png;base64,"));
    assert.ok(calls[0].content.data["text/plain"]);
  });
});
