/** Chapter 9: multimodal models. A tiny CLIP trained offline on shapes drawn in code; the book's CLIP and captioning online. */
export * from "./shapes";
export * from "./clip";
export * from "./online";
