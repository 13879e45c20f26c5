#!/usr/bin/python3
"""Tests of scripts/corf_functional.py (stdlib unittest; Debian's /usr/bin/python3).

Input-centric execution of a fused pair (each intermediate tile scattered into the consumer's
partial sums, then dropped) must give the plain layer-by-layer result, perform exactly the
consumer's in-bounds MACs, and keep live the partial-sum rows the model says; a wrong scatter
must be caught. The stride-1 footprint must be the closed form min(rows out, h + r - 1).
"""

import os
import sys
import unittest

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import corf_functional as cf  # noqa: E402


class ConvPair(unittest.TestCase):
    def run_pair(self, c0, c1, c2, size, r1, s1, p1, r2, s2, p2, h, seed=5):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((c0, size, size))
        w1 = rng.standard_normal((c1, c0, r1, r1))
        w2 = rng.standard_normal((c2, c1, r2, r2))
        plain = cf.conv2d(np.maximum(cf.conv2d(x, w1, s1, p1), 0.0), w2, s2, p2)
        z, most, macs = cf.conv_pair_input_centric(x, w1, s1, p1, w2, s2, p2, h)
        rows1 = (size + 2 * p1 - r1) // s1 + 1
        self.assertEqual(z.shape, plain.shape)
        self.assertLess(np.abs(z - plain).max(), 1e-9 * max(1.0, np.abs(plain).max()))
        self.assertEqual(macs, cf.conv_macs(c2, c1, r2, s2, p2, rows1, rows1))
        self.assertEqual(most, cf.psum_rows_model(plain.shape[1], rows1, s2, p2, r2, h))
        return plain, most

    def test_every_tile_height_and_shape(self):
        for shape in [(3, 4, 5, 9, 3, 1, 1, 3, 1, 1), (4, 4, 4, 10, 1, 1, 0, 3, 2, 1),
                      (2, 3, 4, 11, 3, 2, 1, 3, 1, 0), (3, 5, 2, 8, 5, 1, 2, 5, 1, 2)]:
            for h in (1, 2, 3, 7):
                with self.subTest(shape=shape, h=h):
                    self.run_pair(*shape, h)

    def test_stride1_closed_form(self):
        """3x3 -> 3x3 'same', stride 1: a tile of h rows keeps h + 2 partial-sum rows live."""
        for h in (1, 2, 4, 16):
            plain, most = self.run_pair(3, 4, 4, 16, 3, 1, 1, 3, 1, 1, h)
            self.assertEqual(most, min(plain.shape[1], h + 3 - 1))

    def test_wrong_scatter_is_caught(self):
        rng = np.random.default_rng(2)
        x = rng.standard_normal((3, 8, 8))
        w1, w2 = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal((4, 4, 3, 3))
        plain = cf.conv2d(np.maximum(cf.conv2d(x, w1, 1, 1), 0.0), w2, 1, 1)
        bad = w2.copy()
        bad[:, :, 0, 2] = 0.0  # one tap lost
        z, _, _ = cf.conv_pair_input_centric(x, w1, 1, 1, bad, 1, 1, 2)
        self.assertGreater(np.abs(z - plain).max(), 1e-3)


class GemmPairs(unittest.TestCase):
    def test_ffn_tiles(self):
        rng = np.random.default_rng(3)
        x, w1, w2 = (rng.standard_normal(s) for s in ((24, 8), (8, 40), (40, 12)))
        plain = cf.gelu(x @ w1) @ w2
        for bm, bn in ((1, 1), (5, 7), (24, 40), (8, 16)):
            z, macs, most = cf.gemm_pair_input_centric(x, w1, w2, bm, bn)
            self.assertLess(np.abs(z - plain).max(), 1e-9)
            self.assertEqual(macs, 24 * 8 * 40 + 24 * 40 * 12)
            self.assertEqual(most, bm)

    def test_attention_by_query_rows(self):
        rng = np.random.default_rng(4)
        q, k, v = (rng.standard_normal((20, 6)) for _ in range(3))
        s = q @ k.T / np.sqrt(6)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        plain = (e / e.sum(axis=1, keepdims=True)) @ v
        for bm in (1, 3, 20):
            out, macs, most = cf.attention_by_query_rows(q, k, v, bm)
            self.assertLess(np.abs(out - plain).max(), 1e-12)
            self.assertEqual((macs, most), (2 * 20 * 20 * 6, bm))


class Command(unittest.TestCase):
    def test_default_table_passes(self):
        for rows in (1, 4):
            self.assertEqual(cf.main(["--rows", str(rows)]), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
