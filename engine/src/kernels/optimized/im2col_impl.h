// The im2col row loop of packPatches (qgemm.h), shared by the AVX-512 and
// AVX2 files: each includes it under its own target pragma and passes its
// inlined run helpers, flip(dst, src, n) (n bytes sign-flipped) and
// fill(dst, n) (n bytes of the padding value).
#pragma once

#include <cstdint>

#include "qgemm.h"

namespace inferd::engine::kernels::opt {

template <typename Flip, typename Fill>
[[gnu::always_inline]] inline void packPatchRows(const PatchGeom& g, const int8_t* in, int64_t row0, int64_t rows,
                                                 int64_t kPadded, uint8_t* a, Flip flip, Fill fill) {
  const int64_t rowBytes = g.filterW * g.inC;
  int64_t oy = row0 / g.outW, ox = row0 % g.outW;
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* dst = a + r * kPadded;
    const int64_t x0 = ox * g.strideW - g.padW;
    // The filter columns [kxB, kxE) that lie inside the input.
    // (Plain comparisons: no std:: template instantiated under two targets.)
    const int64_t kxB = x0 >= 0 ? 0 : (-x0 < g.filterW ? -x0 : g.filterW);
    const int64_t right = g.inW - x0;
    const int64_t kxE = right < kxB ? kxB : (right > g.filterW ? g.filterW : right);
    for (int64_t ky = 0; ky < g.filterH; ++ky, dst += rowBytes) {
      const int64_t iy = oy * g.strideH - g.padH + ky * g.dilationH;
      if (iy < 0 || iy >= g.inH) {
        fill(dst, rowBytes);
      } else if (g.dilationW == 1) {
        // Undilated: the taps inside the input are one run of bytes.
        const int8_t* src = in + (iy * g.inW + x0) * g.inC;
        fill(dst, kxB * g.inC);
        flip(dst + kxB * g.inC, src + kxB * g.inC, (kxE - kxB) * g.inC);
        fill(dst + kxE * g.inC, (g.filterW - kxE) * g.inC);
      } else {
        for (int64_t kx = 0; kx < g.filterW; ++kx) {
          const int64_t ix = x0 + kx * g.dilationW;
          if (ix < 0 || ix >= g.inW) {
            fill(dst + kx * g.inC, g.inC);
          } else {
            flip(dst + kx * g.inC, in + (iy * g.inW + ix) * g.inC, g.inC);
          }
        }
      }
    }
    if (++ox == g.outW) {
      ox = 0;
      ++oy;
    }
  }
}

}  // namespace inferd::engine::kernels::opt
