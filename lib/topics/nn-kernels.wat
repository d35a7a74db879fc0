;; Distance kernels for NN-descent (lib/topics/nndescent.ts), WebAssembly SIMD (f32x4).
;; Assembled into nn-kernels-wasm.ts by lib/topics/build-nn-kernels.ts (committed base64, so the runtime
;; needs no assembler). All pointers are byte offsets into the module's own exported memory; rows are
;; `dim` float32 values, contiguous; sums run in float32 (as pynndescent's numba kernels do) over two
;; 4-lane accumulators (8 floats a step), then a 4-wide and a scalar tail for any dim.
(module
  (memory (export "memory") 1)

  ;; sum_t a[t] * b[t]
  (func $dot (export "dot") (param $a i32) (param $b i32) (param $dim i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $end i32) (local $s f32)
    ;; $end: byte offset into a where the 8-wide loop stops
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -8)) (i32.const 2))))
    (block $done8
      (loop $l8
        (br_if $done8 (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $acc1 (f32x4.add (local.get $acc1)
          (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br $l8)))
    (if (i32.and (local.get $dim) (i32.const 4))
      (then
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))))
    (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const 3)) (i32.const 2))))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $l1)))
    (local.get $s))

  ;; sum_t (a[t] - b[t])^2
  (func $sqdist (export "sqdist") (param $a i32) (param $b i32) (param $dim i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $d0 v128) (local $d1 v128) (local $end i32) (local $s f32) (local $d f32)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const -8)) (i32.const 2))))
    (block $done8
      (loop $l8
        (br_if $done8 (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $d0 (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $d1 (f32x4.sub (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $d0) (local.get $d0))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $d1) (local.get $d1))))
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br $l8)))
    (if (i32.and (local.get $dim) (i32.const 4))
      (then
        (local.set $d0 (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $d0) (local.get $d0))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))))
    (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $dim) (i32.const 3)) (i32.const 2))))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $d (f32.sub (f32.load (local.get $a)) (f32.load (local.get $b))))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $d) (local.get $d))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $l1)))
    (local.get $s))

  ;; out[t] = reduced distance between rows pairs[2t] and pairs[2t + 1] of data (i32 row ids):
  ;; cosine (rows unit-normalised): max(0, 1 - dot); else squared Euclidean.
  (func (export "pairDistances") (param $data i32) (param $dim i32) (param $pairs i32) (param $count i32)
      (param $out i32) (param $cosine i32)
    (local $rowBytes i32) (local $end i32) (local $a i32) (local $b i32) (local $v f32)
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $a (i32.add (local.get $data) (i32.mul (i32.load (local.get $pairs)) (local.get $rowBytes))))
        (local.set $b (i32.add (local.get $data) (i32.mul (i32.load offset=4 (local.get $pairs)) (local.get $rowBytes))))
        (if (local.get $cosine)
          (then (local.set $v (f32.max (f32.const 0)
                  (f32.sub (f32.const 1) (call $dot (local.get $a) (local.get $b) (local.get $dim))))))
          (else (local.set $v (call $sqdist (local.get $a) (local.get $b) (local.get $dim)))))
        (f32.store (local.get $out) (local.get $v))
        (local.set $pairs (i32.add (local.get $pairs) (i32.const 8)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $l))))

  ;; out[t] = dot(vec, row ids[t] of data): the hyperplane margins of an RP-tree split.
  (func (export "rowDots") (param $vec i32) (param $data i32) (param $dim i32) (param $ids i32) (param $count i32)
      (param $out i32)
    (local $rowBytes i32) (local $end i32)
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out)
          (call $dot (local.get $vec)
            (i32.add (local.get $data) (i32.mul (i32.load (local.get $ids)) (local.get $rowBytes)))
            (local.get $dim)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $l))))
)
