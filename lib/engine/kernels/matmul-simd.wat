;; Batched f32 matrix product with 128-bit SIMD, for the tfjs wasm backend.
;;
;;   c[i] = a[i] @ b[i]   for i in [0, batch);  a: [m, k], b: [k, n], c: [m, n], row-major
;;
;; or a[i]^T @ b[i] with a stored as [k, m] (transA = 1): a is only ever read
;; one scalar at a time, so its layout is just two strides. A transposed b
;; has no such shortcut (its rows are read as vectors): the caller transposes.
;;
;; It runs on the tfjs heap itself: the memory is the backend's, imported, and
;; the pointers are its tensors' byte offsets, so nothing is copied.
;;
;; Register blocking: a tile of 2 rows x 16 columns of c lives in 8 f32x4
;; accumulators while k runs innermost. Per k: 4 vector loads of one row of b,
;; one broadcast scalar per row of a, 16 multiply-adds (mul + add: fused
;; multiply-add is not in wasm SIMD 128). 8 accumulators + 4 b vectors + 1
;; broadcast fit the 16 xmm registers V8 uses on x86-64. Prototypes with
;; fixed offsets, on the attention shapes, in GFLOP/s: 2x16 ~40, 4x8 ~36,
;; 2x12 ~33, 1x16 ~28, 3x16 ~27; 4x16 ~25, 8x8 ~22 and 6x8 ~19 spill. This
;; version (variable offsets, to handle n < 16) does ~36.
;;
;; Edges, with no scalar clean-up loop: a tile never leaves the matrix but may
;; overlap the previous one. Its second row is clamped to m-1, the last column
;; tile starts at n-16, and when n < 16 its vectors start at min(4v, n-4).
;; Overlapping elements are recomputed in the same order and stored again with
;; identical values. The caller guarantees m >= 1, k >= 1, n >= 4, batch >= 1.
;; Pointers are byte offsets as i32; wrap-around arithmetic keeps them right up
;; to the 4 GiB limit of the heap.
(module
  (import "env" "memory" (memory 0))

  (func (export "matmul")
    (param $a i32) (param $b i32) (param $c i32) (param $batch i32)
    (param $m i32) (param $k i32) (param $n i32)
    ;; bytes from one batch of a (or b) to the next: 0 broadcasts a batch of 1
    (param $aStride i32) (param $bStride i32)
    (param $transA i32)
    (local $cStride i32) (local $ar i32) (local $ak i32)
    ;; Bytes between the a scalars of rows i and i+1 of c, and of steps kk and kk+1.
    (local.set $ar (select (i32.const 4) (i32.shl (local.get $k) (i32.const 2)) (local.get $transA)))
    (local.set $ak (select (i32.shl (local.get $m) (i32.const 2)) (i32.const 4) (local.get $transA)))
    (local.set $cStride (i32.shl (i32.mul (local.get $m) (local.get $n)) (i32.const 2)))
    (loop $batches
      (call $product (local.get $a) (local.get $b) (local.get $c)
                     (local.get $m) (local.get $k) (local.get $n) (local.get $ar) (local.get $ak))
      (local.set $a (i32.add (local.get $a) (local.get $aStride)))
      (local.set $b (i32.add (local.get $b) (local.get $bStride)))
      (local.set $c (i32.add (local.get $c) (local.get $cStride)))
      (br_if $batches (local.tee $batch (i32.sub (local.get $batch) (i32.const 1))))))

  ;; One [m, k] x [k, n] product, tile by tile.
  (func $product (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $ar i32) (param $ak i32)
    (local $i i32) (local $i1 i32) (local $j i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    ;; Byte offsets of a tile's vectors 1..3: 16, 32, 48, each at most 4*(n-4).
    (local.set $o3 (i32.shl (i32.sub (local.get $n) (i32.const 4)) (i32.const 2)))
    (local.set $o1 (select (i32.const 16) (local.get $o3) (i32.lt_s (i32.const 16) (local.get $o3))))
    (local.set $o2 (select (i32.const 32) (local.get $o3) (i32.lt_s (i32.const 32) (local.get $o3))))
    (local.set $o3 (select (i32.const 48) (local.get $o3) (i32.lt_s (i32.const 48) (local.get $o3))))
    (loop $rows
      ;; The tile's second row, or the first again on the last row of an odd m.
      (local.set $i1 (select (i32.add (local.get $i) (i32.const 1)) (local.get $i)
                             (i32.lt_s (i32.add (local.get $i) (i32.const 1)) (local.get $m))))
      (local.set $j (i32.const 0))
      (loop $cols
        ;; The last column tile starts at n-16 rather than run past n (0 if n < 16).
        (if (i32.gt_s (i32.add (local.get $j) (i32.const 16)) (local.get $n))
          (then (local.set $j (select (i32.sub (local.get $n) (i32.const 16)) (i32.const 0)
                                      (i32.ge_s (local.get $n) (i32.const 16))))))
        (call $tile
          (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ar)))
          (i32.add (local.get $a) (i32.mul (local.get $i1) (local.get $ar)))
          (local.get $ak)
          (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))
          (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
          (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i1) (local.get $n)) (local.get $j)) (i32.const 2)))
          (local.get $k)
          (i32.shl (local.get $n) (i32.const 2))
          (local.get $o1) (local.get $o2) (local.get $o3))
        (br_if $cols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 16))) (local.get $n))))
      (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 2))) (local.get $m)))))

  ;; c rows c0, c1, 16 columns (4 vectors at byte offsets 0, o1, o2, o3)
  ;;   = a rows from a0, a1 (ak bytes between k steps) @ k rows of b from bp (nb bytes apart).
  (func $tile
    (param $a0 i32) (param $a1 i32) (param $ak i32) (param $bp i32) (param $c0 i32) (param $c1 i32)
    (param $k i32) (param $nb i32) (param $o1 i32) (param $o2 i32) (param $o3 i32)
    (local $x v128) (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (loop $k
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load (i32.add (local.get $bp) (local.get $o1))))
      (local.set $b2 (v128.load (i32.add (local.get $bp) (local.get $o2))))
      (local.set $b3 (v128.load (i32.add (local.get $bp) (local.get $o3))))
      (local.set $x (v128.load32_splat (local.get $a0)))
      (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $x) (local.get $b2))))
      (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $x) (local.get $b3))))
      (local.set $x (v128.load32_splat (local.get $a1)))
      (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $x) (local.get $b2))))
      (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $x) (local.get $b3))))
      (local.set $a0 (i32.add (local.get $a0) (local.get $ak)))
      (local.set $a1 (i32.add (local.get $a1) (local.get $ak)))
      (local.set $bp (i32.add (local.get $bp) (local.get $nb)))
      (br_if $k (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
    (v128.store (local.get $c0) (local.get $s00))
    (v128.store (i32.add (local.get $c0) (local.get $o1)) (local.get $s01))
    (v128.store (i32.add (local.get $c0) (local.get $o2)) (local.get $s02))
    (v128.store (i32.add (local.get $c0) (local.get $o3)) (local.get $s03))
    (v128.store (local.get $c1) (local.get $s10))
    (v128.store (i32.add (local.get $c1) (local.get $o1)) (local.get $s11))
    (v128.store (i32.add (local.get $c1) (local.get $o2)) (local.get $s12))
    (v128.store (i32.add (local.get $c1) (local.get $o3)) (local.get $s13)))
)
