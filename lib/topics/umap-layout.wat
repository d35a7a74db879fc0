;; One epoch of UMAP's SGD layout (umap-learn's optimize_layout_euclidean) for lib/topics/umap.ts's
;; optimizeLayout; the same loop as its JS fallback. Assembled into umap-layout-wasm.ts by
;; lib/topics/build-topics-wasm.ts. Why wasm: the loop runs hundreds of millions of samples, each needing
;; d^2b, and is latency-bound (each sample moves the point the next one starts from); here the float's
;; exponent and mantissa are one reinterpret away, so x^b costs two table lookups and short polynomials
;; instead of Math.exp + Math.log calls (which took ~45% of the JS loop's time).
;; Pointers are byte offsets into the imported memory, shared so that worker threads can run other edge
;; ranges of the same epoch on the same embedding (Hogwild, as umap-learn's parallel SGD); bytes 0..2559
;; hold the pow tables (written by the host), then embeddings f64 (dim per vertex), head/tail i32 and the
;; per-edge schedule f64. Negative samples come from mulberry32 (as util/random's Rng and the JS loop),
;; its state a global of each instance (one stream per thread).
(module
  ;; declared unshared here because wabt.js rejects shared memories; build-topics-wasm.ts sets the flag
  (import "env" "memory" (memory 1 32768))
  ;; x^b = 2^(b log2 x) for x > 0, by tables (written by the host at byte 0: 1/c_j and log2 c_j for the 128
  ;; mantissa cells c_j, then 2^(j/64) for j < 64) and short polynomials: log2 x = e + log2 c_j + log2(1 + r),
  ;; |r| < 1/256, and 2^y = 2^(k/64) 2^f, |f| <= 1/128. Relative error < 1e-9; short dependency chains
  ;; (the SGD is latency-bound: each sample moves the point the next one starts from).
  (func $pow (export "pow") (param $x f64) (param $b f64) (result f64)
    (local $bits i64) (local $j i32) (local $r f64) (local $y f64) (local $k f64) (local $ki i64) (local $f f64)
    (if (f64.lt (local.get $x) (f64.const 2.2250738585072014e-308))
      (then (return (f64.const 0))))
    (local.set $bits (i64.reinterpret_f64 (local.get $x)))
    (local.set $j (i32.shl (i32.and (i32.wrap_i64 (i64.shr_u (local.get $bits) (i64.const 45))) (i32.const 127)) (i32.const 3)))
    ;; r = m / c_j - 1, m the mantissa in [1, 2)
    (local.set $r (f64.sub
      (f64.mul (f64.reinterpret_i64 (i64.or (i64.and (local.get $bits) (i64.const 0x000fffffffffffff)) (i64.const 0x3ff0000000000000)))
               (f64.load (local.get $j)))
      (f64.const 1)))
    ;; y = b (e + log2 c_j + r (1/ln2 - r/(2 ln2) + r^2/(3 ln2) - r^3/(4 ln2)))
    (local.set $y (f64.mul (local.get $b)
      (f64.add
        (f64.add (f64.convert_i64_s (i64.sub (i64.shr_u (local.get $bits) (i64.const 52)) (i64.const 1023)))
                 (f64.load offset=1024 (local.get $j)))
        (f64.mul (local.get $r)
          (f64.add
            (f64.add (f64.const 1.4426950408889634) (f64.mul (local.get $r) (f64.const -0.7213475204444817)))
            (f64.mul (f64.mul (local.get $r) (local.get $r))
              (f64.add (f64.const 0.48089834696298783) (f64.mul (local.get $r) (f64.const -0.36067376022224085)))))))))
    (if (f64.lt (local.get $y) (f64.const -1000)) (then (return (f64.const 0))))
    (if (f64.gt (local.get $y) (f64.const 1000)) (then (return (f64.const inf))))
    (local.set $k (f64.nearest (f64.mul (local.get $y) (f64.const 64))))
    (local.set $ki (i64.trunc_f64_s (local.get $k)))
    (local.set $f (f64.mul (f64.sub (local.get $y) (f64.mul (local.get $k) (f64.const 0.015625))) (f64.const 0.6931471805599453)))
    ;; 2^(k/64) = 2^(k >> 6) * table[k & 63];  e^f = 1 + f + f^2/2 + f^3/6 + f^4/24
    (f64.mul
      (f64.mul
        (f64.reinterpret_i64 (i64.shl (i64.add (i64.shr_s (local.get $ki) (i64.const 6)) (i64.const 1023)) (i64.const 52)))
        (f64.load offset=2048 (i32.shl (i32.and (i32.wrap_i64 (local.get $ki)) (i32.const 63)) (i32.const 3))))
      (f64.add
        (f64.add (f64.const 1) (local.get $f))
        (f64.mul (f64.mul (local.get $f) (local.get $f))
          (f64.add (f64.add (f64.const 0.5) (f64.mul (local.get $f) (f64.const 0.16666666666666666)))
                   (f64.mul (f64.mul (local.get $f) (local.get $f)) (f64.const 0.041666666666666664)))))))
  (global $state (mut i32) (i32.const 0))
  (func (export "setState") (param $s i32) (global.set $state (local.get $s)))
  (func $clip (param $g f64) (result f64)
    (f64.min (f64.const 4) (f64.max (f64.const -4) (local.get $g))))
  (func (export "epoch")
      (param $headE i32) (param $tailE i32) (param $dim i32) (param $head i32) (param $tail i32)
      (param $eps i32) (param $epsNeg i32) (param $next i32) (param $nextNeg i32) (param $first i32) (param $nEdges i32)
      (param $n f64) (param $alpha f64) (param $a f64) (param $b f64) (param $twoAB f64) (param $twoGammaB f64)
      (param $nVertices i32) (param $moveOther i32)
    (local $i i32) (local $e8 i32) (local $cj i32) (local $ck i32) (local $d i32) (local $d2 f64) (local $diff f64)
    (local $powB f64) (local $coeff f64) (local $g f64) (local $nNeg i32) (local $s i32) (local $t i32)
    (local $rowBytes i32) (local $pj i32) (local $pk i32)
    (local.set $rowBytes (i32.shl (local.get $dim) (i32.const 3)))
    (local.set $i (local.get $first))
    (block $edgesDone
      (loop $edges
        (br_if $edgesDone (i32.ge_u (local.get $i) (local.get $nEdges)))
        (local.set $e8 (i32.shl (local.get $i) (i32.const 3)))
        (if (f64.le (f64.load (i32.add (local.get $next) (local.get $e8))) (local.get $n))
          (then
            (local.set $cj (i32.add (local.get $headE)
              (i32.mul (i32.load (i32.add (local.get $head) (i32.shl (local.get $i) (i32.const 2)))) (local.get $rowBytes))))
            (local.set $ck (i32.add (local.get $tailE)
              (i32.mul (i32.load (i32.add (local.get $tail) (i32.shl (local.get $i) (i32.const 2)))) (local.get $rowBytes))))
            (local.set $d2 (f64.const 0))
            (local.set $d (i32.const 0))
            (loop $dist
              (local.set $diff (f64.sub (f64.load (i32.add (local.get $cj) (local.get $d)))
                                        (f64.load (i32.add (local.get $ck) (local.get $d)))))
              (local.set $d2 (f64.add (local.get $d2) (f64.mul (local.get $diff) (local.get $diff))))
              (local.set $d (i32.add (local.get $d) (i32.const 8)))
              (br_if $dist (i32.lt_u (local.get $d) (local.get $rowBytes))))
            (if (f64.gt (local.get $d2) (f64.const 0))
              (then
                (local.set $powB (call $pow (local.get $d2) (local.get $b)))
                (local.set $coeff (f64.div
                  (f64.mul (f64.neg (local.get $twoAB)) (f64.div (local.get $powB) (local.get $d2)))
                  (f64.add (f64.mul (local.get $a) (local.get $powB)) (f64.const 1))))
                (local.set $d (i32.const 0))
                (loop $move
                  (local.set $pj (i32.add (local.get $cj) (local.get $d)))
                  (local.set $pk (i32.add (local.get $ck) (local.get $d)))
                  (local.set $g (f64.mul (call $clip (f64.mul (local.get $coeff)
                    (f64.sub (f64.load (local.get $pj)) (f64.load (local.get $pk))))) (local.get $alpha)))
                  (f64.store (local.get $pj) (f64.add (f64.load (local.get $pj)) (local.get $g)))
                  (if (local.get $moveOther)
                    (then (f64.store (local.get $pk) (f64.sub (f64.load (local.get $pk)) (local.get $g)))))
                  (local.set $d (i32.add (local.get $d) (i32.const 8)))
                  (br_if $move (i32.lt_u (local.get $d) (local.get $rowBytes))))))
            (f64.store (i32.add (local.get $next) (local.get $e8))
              (f64.add (f64.load (i32.add (local.get $next) (local.get $e8))) (f64.load (i32.add (local.get $eps) (local.get $e8)))))
            (local.set $nNeg (i32.trunc_sat_f64_s (f64.div
              (f64.sub (local.get $n) (f64.load (i32.add (local.get $nextNeg) (local.get $e8))))
              (f64.load (i32.add (local.get $epsNeg) (local.get $e8))))))
            (local.set $s (i32.const 0))
            (block $negDone
              (loop $neg
                (br_if $negDone (i32.ge_s (local.get $s) (local.get $nNeg)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (global.set $state (i32.add (global.get $state) (i32.const 0x6d2b79f5)))
                (local.set $t (global.get $state))
                (local.set $t (i32.mul (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 15)))
                                       (i32.or (local.get $t) (i32.const 1))))
                (local.set $t (i32.xor (local.get $t)
                  (i32.add (local.get $t) (i32.mul (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 7)))
                                                   (i32.or (local.get $t) (i32.const 61))))))
                (local.set $t (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 14))))
                (local.set $ck (i32.add (local.get $tailE) (i32.mul (local.get $rowBytes)
                  (i32.trunc_f64_u (f64.floor (f64.mul
                    (f64.div (f64.convert_i32_u (local.get $t)) (f64.const 4294967296))
                    (f64.convert_i32_u (local.get $nVertices))))))))
                (local.set $d2 (f64.const 0))
                (local.set $d (i32.const 0))
                (loop $ndist
                  (local.set $diff (f64.sub (f64.load (i32.add (local.get $cj) (local.get $d)))
                                            (f64.load (i32.add (local.get $ck) (local.get $d)))))
                  (local.set $d2 (f64.add (local.get $d2) (f64.mul (local.get $diff) (local.get $diff))))
                  (local.set $d (i32.add (local.get $d) (i32.const 8)))
                  (br_if $ndist (i32.lt_u (local.get $d) (local.get $rowBytes))))
                (br_if $neg (i32.eqz (f64.gt (local.get $d2) (f64.const 0))))
                (local.set $coeff (f64.div (local.get $twoGammaB)
                  (f64.mul (f64.add (f64.const 0.001) (local.get $d2))
                           (f64.add (f64.mul (local.get $a) (call $pow (local.get $d2) (local.get $b))) (f64.const 1)))))
                (local.set $d (i32.const 0))
                (loop $push
                  (local.set $pj (i32.add (local.get $cj) (local.get $d)))
                  (f64.store (local.get $pj) (f64.add (f64.load (local.get $pj))
                    (f64.mul (call $clip (f64.mul (local.get $coeff)
                      (f64.sub (f64.load (local.get $pj)) (f64.load (i32.add (local.get $ck) (local.get $d))))))
                      (local.get $alpha))))
                  (local.set $d (i32.add (local.get $d) (i32.const 8)))
                  (br_if $push (i32.lt_u (local.get $d) (local.get $rowBytes))))
                (br $neg)))
            (f64.store (i32.add (local.get $nextNeg) (local.get $e8))
              (f64.add (f64.load (i32.add (local.get $nextNeg) (local.get $e8)))
                (f64.mul (f64.convert_i32_s (local.get $nNeg)) (f64.load (i32.add (local.get $epsNeg) (local.get $e8))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $edges))))
)
