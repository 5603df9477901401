#!/usr/bin/env python3
# WER(B) - WER(A) in points over the clips two evaluation.json files share, with a 95% paired bootstrap
# interval over clips (2000 resamples, seed 0), as bench/compare_rounding.sh computes it against nearest rounding.
#   /usr/bin/python3 bench/paired_wer.py A.evaluation.json B.evaluation.json
import json, random, sys
def edits(ref, hyp):
    r, h = ref.split(), hyp.split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
    return d[len(h)], len(r)
def per_clip(f):
    return {c["path"]: edits(c["reference"], c["quantized_transcript"]) for c in json.load(open(f))["clips"] if c.get("reference")}
a, b = per_clip(sys.argv[1]), per_clip(sys.argv[2])
paths = sorted(a)
diff = [b[p][0] - a[p][0] for p in paths]; n = [a[p][1] for p in paths]
rng = random.Random(0); s = []
for _ in range(2000):
    idx = [rng.randrange(len(paths)) for _ in paths]
    s.append(100.0 * sum(diff[i] for i in idx) / sum(n[i] for i in idx))
s.sort()
print(f"{sys.argv[2].split('/')[-1]} - {sys.argv[1].split('/')[-1]}: {100.0*sum(diff)/sum(n):+.2f} points, 95% CI [{s[50]:+.2f}, {s[1949]:+.2f}] over {len(paths)} clips")
