/**
 * A synthetic image-caption world for chapter 9's offline CLIP: coloured shapes drawn in code.
 *
 * An image is a Float32Array of RGB values in [0, 1], row-major height x width x 3 (tfjs' NHWC for one
 * image), drawn from a caption's attributes {colour, shape, size, position}. Coverage is binary, decided
 * at each pixel's centre, so a test can recount every pixel from the same geometry. Seeded randomness
 * (jittered position, radius, colour and background noise) makes two images of one caption differ.
 */
import * as zlib from "zlib";
import { Rng } from "../util/random";
import { displayBundle, notebookWriter } from "../notebook/env";

export const SHAPE_COLOURS = ["red", "green", "blue", "yellow", "purple", "orange"] as const;
export const SHAPE_KINDS = ["circle", "square", "triangle", "cross"] as const;
export const SHAPE_SIZES = ["small", "large"] as const;
export const SHAPE_POSITIONS = ["left", "right", "top", "bottom", "center"] as const;

export type ShapeColour = (typeof SHAPE_COLOURS)[number];
export type ShapeKind = (typeof SHAPE_KINDS)[number];
export type ShapeSize = (typeof SHAPE_SIZES)[number];
export type ShapePosition = (typeof SHAPE_POSITIONS)[number];

export interface ShapeAttributes {
  colour: ShapeColour;
  shape: ShapeKind;
  size: ShapeSize;
  position: ShapePosition;
}

/** The base RGB of each colour name, in [0, 1]. */
export const COLOUR_RGB: Record<ShapeColour, [number, number, number]> = {
  red: [0.9, 0.1, 0.1],
  green: [0.1, 0.65, 0.2],
  blue: [0.15, 0.3, 0.95],
  yellow: [0.95, 0.85, 0.1],
  purple: [0.6, 0.2, 0.8],
  orange: [1.0, 0.55, 0.0],
};

/** Background grey level before noise. */
export const BACKGROUND = 0.92;

/** Radius ranges (in a 32-pixel image's units) of each size: the radius is drawn uniformly between them. */
const RADIUS: Record<ShapeSize, [number, number]> = { small: [3.5, 5], large: [7, 9] };
/** Shape centres (in a 32-pixel image's units) of each position. */
const CENTRE: Record<ShapePosition, [number, number]> = {
  left: [9, 16],
  right: [23, 16],
  top: [16, 9],
  bottom: [16, 23],
  center: [16, 16],
};

export interface DrawOptions {
  /** Width = height in pixels (default 32). Geometry scales with it. */
  imageSize?: number;
  /** Randomness for jitter and noise; `seed` makes one when absent (default seed 0). */
  rng?: Rng;
  seed?: number;
  /** Uniform per-pixel, per-channel background noise amplitude (default 0.04). */
  noise?: number;
  /** Uniform per-channel jitter of the shape's colour (default 0.06). */
  colourJitter?: number;
  /** Uniform jitter of the centre, in 32-pixel units (default 1.5). */
  positionJitter?: number;
  /** A fixed radius in 32-pixel units instead of one drawn from the size's range. */
  radius?: number;
}

/** The geometry a drawing used: centre and radius in pixels of the actual image. */
export interface ShapeGeometry {
  cx: number;
  cy: number;
  r: number;
}

/**
 * Whether a point (pixel centre) lies inside a shape of centre (cx, cy) and radius r. The square's
 * half-side and the cross's arm width are scaled so that the shapes' areas are comparable.
 */
export function insideShape(shape: ShapeKind, px: number, py: number, g: ShapeGeometry): boolean {
  const dx = px - g.cx;
  const dy = py - g.cy;
  switch (shape) {
    case "circle":
      return dx * dx + dy * dy <= g.r * g.r;
    case "square":
      return Math.abs(dx) <= 0.85 * g.r && Math.abs(dy) <= 0.85 * g.r;
    case "triangle": {
      // Apex at (cx, cy - r), base at y = cy + 0.8 r, base half-width r: width grows linearly downwards.
      if (dy < -g.r || dy > 0.8 * g.r) return false;
      return Math.abs(dx) <= (g.r * (dy + g.r)) / (1.8 * g.r);
    }
    case "cross":
      return (Math.abs(dx) <= g.r && Math.abs(dy) <= 0.35 * g.r) || (Math.abs(dy) <= g.r && Math.abs(dx) <= 0.35 * g.r);
    default:
      throw new Error(`unknown shape '${shape as string}' (expected one of ${SHAPE_KINDS.join(", ")})`);
  }
}

function checkAttributes(a: ShapeAttributes): void {
  if (!SHAPE_COLOURS.includes(a.colour)) throw new Error(`unknown colour '${a.colour}' (expected one of ${SHAPE_COLOURS.join(", ")})`);
  if (!SHAPE_KINDS.includes(a.shape)) throw new Error(`unknown shape '${a.shape}' (expected one of ${SHAPE_KINDS.join(", ")})`);
  if (!SHAPE_SIZES.includes(a.size)) throw new Error(`unknown size '${a.size}' (expected one of ${SHAPE_SIZES.join(", ")})`);
  if (!SHAPE_POSITIONS.includes(a.position)) throw new Error(`unknown position '${a.position}' (expected one of ${SHAPE_POSITIONS.join(", ")})`);
}

/**
 * Draws one image of a shape: its pixels (RGB in [0, 1], [H, W, 3] row-major) and the geometry used.
 * The randomness is consumed in a fixed order (centre, radius, colour, background), so a seed fixes the image.
 */
export function drawShapeWithGeometry(attrs: ShapeAttributes, opts: DrawOptions = {}): { pixels: Float32Array; geometry: ShapeGeometry } {
  checkAttributes(attrs);
  const size = opts.imageSize ?? 32;
  if (!(Number.isInteger(size) && size >= 8)) throw new Error(`imageSize must be an integer >= 8 (got ${size})`);
  const rng = opts.rng ?? new Rng(opts.seed ?? 0);
  const unit = size / 32;
  const jitter = opts.positionJitter ?? 1.5;
  const [bx, by] = CENTRE[attrs.position];
  const cx = (bx + (rng.random() * 2 - 1) * jitter) * unit;
  const cy = (by + (rng.random() * 2 - 1) * jitter) * unit;
  const [rMin, rMax] = RADIUS[attrs.size];
  const drawn = rMin + rng.random() * (rMax - rMin);
  const r = (opts.radius ?? drawn) * unit;
  const colourJitter = opts.colourJitter ?? 0.06;
  const colour = COLOUR_RGB[attrs.colour].map((c) => clamp01(c + (rng.random() * 2 - 1) * colourJitter));
  const noise = opts.noise ?? 0.04;
  const geometry = { cx, cy, r };
  const pixels = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 3;
      const inside = insideShape(attrs.shape, x + 0.5, y + 0.5, geometry);
      for (let c = 0; c < 3; c++) {
        // Noise is drawn for every pixel, inside or not, so the stream (and other pixels) do not depend on the shape.
        const n = noise > 0 ? (rng.random() * 2 - 1) * noise : 0;
        pixels[o + c] = inside ? colour[c] : clamp01(BACKGROUND + n);
      }
    }
  }
  return { pixels, geometry };
}

/** One image of a shape: RGB in [0, 1], [imageSize, imageSize, 3] row-major. */
export function drawShape(attrs: ShapeAttributes, opts: DrawOptions = {}): Float32Array {
  return drawShapeWithGeometry(attrs, opts).pixels;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

const POSITION_PHRASE: Record<ShapePosition, string> = {
  left: "on the left",
  right: "on the right",
  top: "at the top",
  bottom: "at the bottom",
  center: "in the center",
};

/** "a" or "an" for the word that follows. */
function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

/** The zero-shot prompt of a class, CLIP-style: "a photo of a red circle", "a photo of an orange square". */
export function shapePrompt(colour: ShapeColour, shape: ShapeKind, template = "a photo of {article} {colour} {shape}"): string {
  return template.replace("{article}", article(colour)).replace("{colour}", colour).replace("{shape}", shape);
}

export interface CaptionOptions {
  /** Randomness for the caption's wording; without it the caption is the full, plain one. */
  rng?: Rng;
  /** Probability that the size is left out (default 0.25), as alt-texts leave things out. */
  dropSize?: number;
  /** Probability that the position is left out (default 0.25). */
  dropPosition?: number;
}

const PREFIXES = ["", "a photo of ", "a picture of ", "an image of "];

/**
 * A caption of the attributes: "a large red circle on the left" without `rng`; with it, a varied
 * wording ("a photo of a red circle", "an image of a small orange cross at the top"), sometimes without
 * the size or the position, as real alt-texts describe images partially.
 */
export function shapeCaption(attrs: ShapeAttributes, opts: CaptionOptions = {}): string {
  checkAttributes(attrs);
  const rng = opts.rng;
  const keepSize = !rng || rng.random() >= (opts.dropSize ?? 0.25);
  const keepPosition = !rng || rng.random() >= (opts.dropPosition ?? 0.25);
  const prefix = rng ? PREFIXES[rng.int(PREFIXES.length)] : "";
  const words = [...(keepSize ? [attrs.size] : []), attrs.colour, attrs.shape];
  return `${prefix}${article(words[0])} ${words.join(" ")}${keepPosition ? ` ${POSITION_PHRASE[attrs.position]}` : ""}`;
}

/** A colour-shape pair, the unit of the compositional split. */
export interface ColourShape {
  colour: ShapeColour;
  shape: ShapeKind;
}

/** All 24 colour-shape pairs. */
export function colourShapePairs(): ColourShape[] {
  return SHAPE_COLOURS.flatMap((colour) => SHAPE_KINDS.map((shape) => ({ colour, shape })));
}

/**
 * The pairs never drawn in training (one per colour; every colour and every shape still appears in
 * training with other partners): zero-shot accuracy on them measures composition, not memory.
 */
export const HELD_OUT_PAIRS: ColourShape[] = [
  { colour: "red", shape: "triangle" },
  { colour: "green", shape: "cross" },
  { colour: "blue", shape: "circle" },
  { colour: "yellow", shape: "square" },
  { colour: "purple", shape: "triangle" },
  { colour: "orange", shape: "cross" },
];

/** Splits the 24 pairs into those seen in training and `heldOut` (default HELD_OUT_PAIRS). */
export function compositionalSplit(heldOut: ColourShape[] = HELD_OUT_PAIRS): { train: ColourShape[]; heldOut: ColourShape[] } {
  const key = (p: ColourShape) => `${p.colour} ${p.shape}`;
  const held = new Set(heldOut.map(key));
  return { train: colourShapePairs().filter((p) => !held.has(key(p))), heldOut: colourShapePairs().filter((p) => held.has(key(p))) };
}

export interface ShapeExample {
  attributes: ShapeAttributes;
  caption: string;
  /** RGB in [0, 1], [imageSize, imageSize, 3] row-major. */
  pixels: Float32Array;
}

export interface ShapeDatasetOptions {
  count: number;
  seed?: number;
  /** The colour-shape pairs to draw from (default all 24). */
  pairs?: ColourShape[];
  imageSize?: number;
  /** Varied, partial captions (true, for training) or the full plain caption (false, for evaluation). Default true. */
  variedCaptions?: boolean;
  /** Passed to every drawing (noise, jitter). */
  draw?: Omit<DrawOptions, "rng" | "seed" | "imageSize">;
}

/** `count` image-caption pairs with random attributes over `pairs`, reproducible from `seed`. */
export function makeShapeDataset(opts: ShapeDatasetOptions): ShapeExample[] {
  if (!(Number.isInteger(opts.count) && opts.count > 0)) throw new Error(`count must be a positive integer (got ${opts.count})`);
  const pairs = opts.pairs ?? colourShapePairs();
  if (pairs.length === 0) throw new Error("makeShapeDataset: no colour-shape pairs to draw from");
  const rng = new Rng(opts.seed ?? 0);
  const varied = opts.variedCaptions ?? true;
  const out: ShapeExample[] = [];
  for (let i = 0; i < opts.count; i++) {
    const pair = pairs[rng.int(pairs.length)];
    const attributes: ShapeAttributes = {
      ...pair,
      size: SHAPE_SIZES[rng.int(SHAPE_SIZES.length)],
      position: SHAPE_POSITIONS[rng.int(SHAPE_POSITIONS.length)],
    };
    const pixels = drawShape(attributes, { ...opts.draw, imageSize: opts.imageSize, rng });
    out.push({ attributes, caption: shapeCaption(attributes, varied ? { rng } : {}), pixels });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// PNG encoding and inline display

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE, as PNG chunks use). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * An RGB image (values in [0, 1], [height, width, 3] row-major) as PNG bytes, enlarged `scale` times by
 * pixel repetition so that a 32-pixel image stays sharp on screen in any viewer.
 */
export function encodePng(pixels: Float32Array, width: number, height: number, scale = 1): Buffer {
  if (pixels.length !== width * height * 3) throw new Error(`encodePng: ${pixels.length} values for a ${width}x${height} RGB image (expected ${width * height * 3})`);
  if (!(Number.isInteger(scale) && scale >= 1)) throw new Error(`encodePng: scale must be a positive integer (got ${scale})`);
  const W = width * scale;
  const H = height * scale;
  const raw = Buffer.alloc(H * (1 + W * 3));
  for (let Y = 0; Y < H; Y++) {
    const row = Y * (1 + W * 3);
    raw[row] = 0; // filter type None
    const y = Math.floor(Y / scale);
    for (let X = 0; X < W; X++) {
      const src = (y * width + Math.floor(X / scale)) * 3;
      for (let c = 0; c < 3; c++) raw[row + 1 + X * 3 + c] = Math.round(clamp01(pixels[src + c]) * 255);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk("IHDR", ihdr), pngChunk("IDAT", zlib.deflateSync(raw)), pngChunk("IEND", Buffer.alloc(0))]);
}

/** A square image's side from its pixel count (H = W, 3 channels). */
export function imageSide(pixels: Float32Array): number {
  const side = Math.round(Math.sqrt(pixels.length / 3));
  if (side * side * 3 !== pixels.length) throw new Error(`expected a square RGB image; ${pixels.length} values is not 3 x side²`);
  return side;
}

export interface ImageGridItem {
  pixels: Float32Array;
  caption?: string;
}

export interface ImageGridOptions {
  /** Images per row (default 8). */
  columns?: number;
  /** Enlargement of each image (default 3: 32 px -> 96 px). */
  scale?: number;
  title?: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A grid of images with captions: HTML with inline PNGs (data: URLs) and a plain-text listing. */
export function imageGrid(items: ImageGridItem[], opts: ImageGridOptions = {}): { html: string; plain: string } {
  const columns = opts.columns ?? 8;
  const scale = opts.scale ?? 3;
  const cells = items.map((item) => {
    const side = imageSide(item.pixels);
    const src = `data:image/png;base64,${encodePng(item.pixels, side, side, scale).toString("base64")}`;
    const caption = item.caption ? `<figcaption style="font-size:11px;line-height:1.2;margin-top:2px">${escapeHtml(item.caption)}</figcaption>` : "";
    return `<figure style="margin:0;width:${side * scale}px"><img src="${src}" width="${side * scale}" height="${side * scale}" alt="${escapeHtml(item.caption ?? "")}">${caption}</figure>`;
  });
  const title = opts.title ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(opts.title)}</div>` : "";
  const html = `<div>${title}<div style="display:grid;grid-template-columns:repeat(${columns},max-content);gap:8px">${cells.join("")}</div></div>`;
  const plain = [opts.title ?? `${items.length} images`, ...items.map((item, i) => `  [${i}] ${item.caption ?? ""}`)].join("\n");
  return { html, plain };
}

/** Shows an image grid inline in a notebook (text/html); prints the captions elsewhere. */
export function showImages(items: ImageGridItem[], opts: ImageGridOptions = {}): void {
  const writer = notebookWriter(); // before any await: tslab swaps the writer per cell
  const grid = imageGrid(items, opts);
  if (!displayBundle({ data: { "text/html": grid.html, "text/plain": grid.plain }, metadata: {} }, { writer })) console.log(grid.plain);
}
