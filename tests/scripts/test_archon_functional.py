#!/usr/bin/python3
"""Tests of scripts/archon_functional.py (stdlib unittest; Debian's /usr/bin/python3).

The fused form of an inverted-bottleneck block must equal the block run layer by layer when it
is given the true ReLU masks, and must not when a mask bit is wrong; the work it counts must
match the closed forms and a count made here by plain loops; FusioNet's closed-form ratios must
be the paper's (18.8x for (C, M, K) = (32, 32, 2368), 6.6x for (96, 160, 3456)).
"""

import itertools
import os
import subprocess
import sys
import unittest

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import archon_functional as af  # noqa: E402

SCRIPT = os.path.join(ROOT, "scripts", "archon_functional.py")


class Identity(unittest.TestCase):
    def check_identity(self, c, m, k, size, stride, groups):
        rng = np.random.default_rng(7)
        blk = af.make_block(c, m, k, groups, rng)
        x = rng.standard_normal((c, size, size))
        y, g1, g2 = af.unfused(x, blk, stride)
        yf, _ = af.fused(x, blk, af.fused_weights(blk, 1.0), g1, g2, stride)
        self.assertEqual(yf.shape, y.shape)
        self.assertLess(np.abs(yf - y).max(), 1e-12 * np.abs(y).max())
        return x, blk, y, g1, g2

    def test_dense_stride1(self):
        self.check_identity(8, 8, 48, 6, 1, 1)

    def test_grouped_stride2_rectangular(self):
        self.check_identity(8, 12, 32, 8, 2, 4)

    def test_odd_size_stride2(self):
        self.check_identity(4, 6, 16, 7, 2, 2)

    def test_a_wrong_mask_bit_is_seen(self):
        x, blk, y, g1, g2 = self.check_identity(8, 8, 48, 6, 1, 1)
        f = af.fused_weights(blk, 1.0)
        for name in ("g1", "g2"):
            b1, b2 = g1.copy(), g2.copy()
            target = b1 if name == "g1" else b2
            target[0, 2, 2] = not target[0, 2, 2]
            yf, _ = af.fused(x, blk, f, b1, b2, 1)
            self.assertGreater(np.abs(yf - y).max(), 1e-6, name)


class Counts(unittest.TestCase):
    def test_closed_forms(self):
        for c, m, k, size, stride, groups in [(16, 16, 64, 8, 1, 1), (8, 16, 32, 8, 2, 4)]:
            row = af.run_block(c, m, k, size, stride, groups, 0.02, 3)
            self.assertEqual(row["unfused_mults_counted"], row["unfused_mults_closed_form"])
            self.assertEqual(row["fused_mults_counted"], row["fused_mults_closed_form"])
            self.assertLess(row["fused_mults_counted_pruned"], row["fused_mults_counted"])
            self.assertLess(row["build_adds_pruned"], row["build_adds"])
            self.assertEqual(row["mask_ands"], 9 * k)

    def test_build_adds_by_loops(self):
        c, m, k, size, stride = 2, 3, 4, 4, 1
        rng = np.random.default_rng(11)
        blk = af.make_block(c, m, k, 1, rng)
        x = rng.standard_normal((c, size, size))
        _, g1, g2 = af.unfused(x, blk, stride)
        f = af.fused_weights(blk, 0.6)
        _, counts = af.fused(x, blk, f, g1, g2, stride)
        n = 0
        for i, j, mm, kk, cc, r, s in itertools.product(range(size), range(size), range(m),
                                                        range(k), range(c), range(3), range(3)):
            qi, qj = i + r - 1, j + s - 1
            if 0 <= qi < size and 0 <= qj < size and g2[kk, i, j] and g1[kk, qi, qj] \
                    and f[mm, kk, cc, r, s] != 0:
                n += 1
        self.assertAlmostEqual(counts["build_adds"], n / (size * size))

    def test_pruning_keeps_the_fraction(self):
        blk = af.make_block(4, 4, 16, 1, np.random.default_rng(5))
        dense = np.count_nonzero(af.fused_weights(blk, 1.0))
        kept = np.count_nonzero(af.fused_weights(blk, 0.25))
        self.assertEqual(kept, round(0.25 * dense))


class ShadowPath(unittest.TestCase):
    def test_quantise4(self):
        # 4 bits over [-6, 6]: steps of 0.8; out-of-range values clamp.
        got = af.quantise4(np.array([-7.0, -6.0, 0.3, 0.0, 6.0, 9.0]))
        np.testing.assert_allclose(got, [-6.0, -6.0, 0.4, 0.4, 6.0, 6.0])

    def test_ternarize(self):
        t, alpha = af.ternarize(np.array([1.0, -0.1, -2.0, 0.05]))
        # threshold 0.7 x 0.7875 = 0.55125: 1 and -2 survive; alpha their mean magnitude.
        np.testing.assert_array_equal(t, [1, 0, -1, 0])
        self.assertAlmostEqual(alpha, 1.5)

    def test_predicted_masks_beat_chance(self):
        row = af.run_block(16, 16, 64, 8, 1, 1, 0.014, 0)
        for key in ("g1_mismatch", "g2_mismatch"):
            self.assertGreater(row[key], 0.0)
            self.assertLess(row[key], 0.35)


class Workload(unittest.TestCase):
    def test_fusionet_yaml_has_the_closed_forms_blocks(self):
        # workloads/fusionet.yaml (scripts/gen_workloads.py) against FUSIONET here: each unit's
        # C, M, expansion, stride and input size from the layers themselves.
        import yaml  # noqa: PLC0415
        with open(os.path.join(ROOT, "workloads", "fusionet.yaml"), encoding="utf-8") as f:
            layers = {l["name"]: l for l in yaml.safe_load(f)["layers"]}
        size, c = 32, 32
        for i, (bc, bm, e, s, bsize) in enumerate(af.FUSIONET, 1):
            expand, dw = layers["b%d_expand" % i], layers["b%d_dw" % i]
            project = layers["b%d_project" % i]
            self.assertEqual((c, size), (bc, bsize), "unit %d's input" % i)
            self.assertEqual(expand["out_channels"], bc * e)
            self.assertEqual(dw.get("stride", 1), s)
            self.assertEqual(project["out_channels"], bm)
            c, size = bm, size // s


class Cli(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run(["/usr/bin/python3", SCRIPT, *args], capture_output=True,
                              text=True)

    def test_fusionet_ratios_are_the_papers(self):
        r = self.run_cli("--fusionet")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [ln.split() for ln in r.stdout.splitlines()[1:]]
        self.assertEqual(len(rows), 32)
        dense = {int(x[0]): float(x[-1]) for x in rows if x[6] == "1"}
        self.assertEqual(round(dense[1], 1), 18.8)
        self.assertEqual(round(dense[16], 1), 6.6)

    def test_groups_not_dividing_is_one_line(self):
        r = self.run_cli("--c", "6", "--groups", "4")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
