#!/usr/bin/python3
"""Builds quantscope's demo assets: a small trained speech model and a multi-voice audio set.

Run with Debian's interpreter, which has torch and torchaudio (espeak-ng, sox and flac must be installed):
    nice -n 10 /usr/bin/python3 tools/make_demo.py [--out resources/demo] [--work-dir /work/scratch/demo]

Steps, all seeded:
 1. synthesize voice-assistant commands and digit strings with espeak-ng in 30 voices (accent x voice
    variant x speed x pitch), 16 kHz mono 16-bit, into --work-dir (never into the repository);
 2. train a character CTC model with torchaudio's wav2vec2 architecture on 24 voices (6 more held out);
 3. measure greedy-CTC WER/CER per voice on sentences never trained on -> <out>/quality.json, <out>/README.md;
 4. export TorchScript with model.json metadata -> <out>/model.pt, and check the reloaded model;
 5. write the demo clips (test sentences only) -> <out>/audio/<voice>/*.flac + <voice>.trans.txt.
"""
import argparse
import hashlib
import io
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import time
import wave
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn as nn
import torchaudio

SAMPLE_RATE = 16000
TRIM_LEVEL = 300      # |sample| above which a 16-bit sample counts as speech when trimming silence
TRIM_MARGIN = 1600    # samples of silence kept before and after the speech (0.1 s)
SPEED_JITTER = 20     # each utterance: voice's speed +- this (words/min) ...
PITCH_JITTER = 12     # ... and pitch +- this (espeak-ng 0-99 scale)
SEED = 20240917
LABELS = ["<blank>", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]
CORPUS_VERSION = 2  # bump when synthesis changes, so a cached corpus in --work-dir is rebuilt

# (espeak-ng language, voice variant, base speed in words/min, base pitch 0-99, held out?)
VOICES = [
    ("en", "m1", 165, 45, False),
    ("en", "f2", 175, 60, False),
    ("en", "klatt2", 160, 50, False),
    ("en-us", "m3", 180, 40, False),
    ("en-us", "f1", 160, 70, False),
    ("en-us", "klatt", 170, 50, False),
    ("en-gb-scotland", "m2", 150, 35, False),
    ("en-gb-scotland", "f4", 185, 55, False),
    ("en-gb-x-rp", "m4", 145, 50, False),
    ("en-gb-x-rp", "f5", 170, 65, False),
    ("en-029", "m5", 190, 45, False),
    ("en-029", "f3", 155, 60, False),
    ("en-gb-x-gbclan", "m6", 175, 30, False),
    ("en-gb-x-gbclan", "klatt3", 160, 55, False),
    ("en-gb-x-gbcwmd", "f1", 180, 75, False),
    ("en-gb-x-gbcwmd", "m7", 150, 45, False),
    ("en-us-nyc", "m7", 165, 50, False),
    ("en-us-nyc", "m8", 155, 35, False),
    ("en-us", "Annie", 165, 50, False),
    ("en-gb-x-rp", "edward", 155, 45, False),
    ("en-029", "robert", 170, 40, False),
    ("en-gb-scotland", "belinda", 160, 60, False),
    ("en", "quincy", 180, 35, False),
    ("en-gb-x-gbclan", "steph", 150, 65, False),
    # held out: never heard in training (each accent and variant occurs in training, never this combination)
    ("en-us", "m2", 150, 55, True),
    ("en-gb-x-rp", "f2", 185, 40, True),
    ("en-gb-scotland", "klatt2", 170, 45, True),
    ("en-gb-x-gbcwmd", "m8", 160, 40, True),
    ("en-us-nyc", "f3", 175, 70, True),
    ("en-029", "m1", 140, 60, True),
]


def voice_name(lang, variant):
    return f"{lang}_{variant}".lower()


# ----------------------------------------------------------------------------------------------------
# Sentences
# ----------------------------------------------------------------------------------------------------

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    return ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " and " + number_words(n % 100))


ROOMS = ["kitchen", "living room", "bedroom", "bathroom", "office", "garage", "hallway", "dining room",
         "basement", "nursery", "guest room", "garden"]
DEVICES = ["lamp", "fan", "heater", "air conditioner", "television", "radio", "coffee machine",
           "dishwasher", "oven", "washing machine", "porch light", "speaker"]
GENRES = ["jazz", "rock", "classical music", "blues", "country music", "hip hop", "reggae", "pop music",
          "folk music", "piano music", "something relaxing", "the radio", "my playlist", "soul music"]
NAMES = ["mom", "dad", "alice", "bob", "sarah", "david", "grandma", "emma", "james", "olivia", "michael",
         "sophie", "lucas", "peter", "anna", "the office", "doctor brown", "my sister", "my brother"]
CITIES = ["london", "paris", "tokyo", "new york", "berlin", "madrid", "chicago", "sydney", "toronto",
          "dublin", "boston", "seattle", "rome", "glasgow", "denver", "miami"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WHEN = ["today", "tomorrow", "tonight", "this weekend", "this evening", "tomorrow morning", "next week",
        "this afternoon", "later today"] + ["on " + d for d in DAYS]
ITEMS = ["milk", "eggs", "bread", "coffee", "apples", "butter", "cheese", "rice", "bananas", "tomatoes",
         "orange juice", "pasta", "sugar", "tea", "potatoes", "chicken", "yogurt", "carrots"]
TASKS = ["call mom", "buy milk", "water the plants", "take out the trash", "feed the cat", "pay the rent",
         "check the oven", "walk the dog", "book a table", "send the report", "pick up the kids",
         "charge my phone", "lock the door", "buy a present"]
APPS = ["calendar", "camera", "email", "maps", "settings", "music player", "calculator", "notes",
        "weather app", "photos"]
COLORS = ["red", "blue", "green", "warm white", "purple", "orange", "yellow", "pink"]
PLACES = ["the airport", "the station", "work", "home", "the nearest hospital", "the supermarket",
          "the city centre", "the beach", "the library", "the gym"]
SHOPS = ["pharmacy", "coffee shop", "gas station", "restaurant", "bakery", "pizza place", "bank",
         "post office", "hardware store", "cinema"]
DOORS = ["front", "back", "garage", "side", "patio"]
TOD = ["in the morning", "in the evening", "in the afternoon", "at night", "o'clock"]
FIXED = ["what time is it", "cancel the timer", "pause the music", "skip this song", "play the next song",
         "stop the alarm", "read my messages", "take a picture", "what's the news today",
         "how much time is left on the timer", "lock the front door", "close the garage door",
         "don't play that again", "i'm home", "good night", "turn everything off", "what's my next meeting",
         "repeat that please", "snooze the alarm", "where is my phone", "tell me a joke",
         "what's the date today", "shuffle my music", "resume the music", "mute the television"]


def digits(rng, lo=3, hi=10):
    return " ".join(ONES[rng.randrange(10)] for _ in range(rng.randint(lo, hi)))


def timer_units(rng, n):
    unit = rng.choice(["second", "minute", "hour"])
    return unit if n == 1 else unit + "s"


def make_sentence(rng):
    c, r = rng.choice, rng.randint
    t = rng.randrange(40)
    if t == 0:
        n = r(1, 59); return f"set a timer for {number_words(n)} {timer_units(rng, n)}"
    if t == 1:
        n = r(2, 45); return f"set a {number_words(n)} minute timer"
    if t == 2:
        minutes = c(['', 'fifteen ', 'thirty ', 'forty five '])
        return f"set an alarm for {number_words(r(1, 12))} {minutes}{c(TOD if not minutes else TOD[:-1])}"
    if t == 3:
        return f"wake me up at {number_words(r(1, 12))} {c(TOD)} {c(WHEN)}"
    if t in (4, 5):
        return f"{c(['call', 'dial', 'call', 'ring'])} {digits(rng)}"
    if t == 6:
        return f"{c(['my phone number is', 'the code is', 'enter pin', 'my zip code is'])} {digits(rng, 4, 8)}"
    if t == 7:
        return f"call {c(NAMES)}"
    if t == 8:
        return f"send a message to {c(NAMES)} {c(['saying', 'that says'])} {c(['i am running late', 'see you soon', 'call me back', 'happy birthday', 'i will be there at ' + number_words(r(1, 12))])}"
    if t == 9:
        return f"tell {c(NAMES)} i'll be home {c(WHEN)}"
    if t in (10, 11):
        return f"turn {c(['on', 'off'])} the {c(ROOMS)} lights"
    if t == 12:
        return f"turn {c(['on', 'off'])} the {c(DEVICES)}"
    if t == 13:
        return f"switch {c(['on', 'off'])} the {c(DEVICES)} in the {c(ROOMS)}"
    if t == 14:
        return f"dim the {c(ROOMS)} lights to {number_words(r(1, 9) * 10)} percent"
    if t == 15:
        return f"set the {c(ROOMS)} lights to {c(COLORS)}"
    if t == 16:
        return f"set the thermostat to {number_words(r(15, 80))} degrees"
    if t == 17:
        return f"{c(['make it warmer', 'make it cooler', 'what is the temperature', 'how warm is it'])} in the {c(ROOMS)}"
    if t in (18, 19):
        return f"what is the weather {c(WHEN)}"
    if t == 20:
        return f"what's the weather like in {c(CITIES)} {c(WHEN)}"
    if t == 21:
        return f"{c(['will it rain', 'will it snow', 'do i need an umbrella', 'is it going to be sunny'])} {c(WHEN)}"
    if t == 22:
        return f"how {c(['cold', 'hot', 'windy'])} is it in {c(CITIES)}"
    if t in (23, 24):
        return f"play some {c(GENRES)}"
    if t == 25:
        return f"play {c(GENRES)} in the {c(ROOMS)}"
    if t == 26:
        return f"turn the volume {c(['up', 'down'])}" if rng.random() < 0.5 else f"set the volume to {number_words(r(1, 10))}"
    if t == 27:
        return f"add {c(ITEMS)} to my shopping list"
    if t == 28:
        a, b = rng.sample(ITEMS, 2); return f"add {a} and {b} to the list"
    if t == 29:
        return f"remind me to {c(TASKS)} {c(WHEN)}"
    if t == 30:
        return f"remind me to {c(TASKS)} at {number_words(r(1, 12))} {c(TOD)}"
    if t == 31:
        return f"what time is it in {c(CITIES)}"
    if t == 32:
        return f"what's on my calendar {c(WHEN)}"
    if t == 33:
        return f"open the {c(APPS)}"
    if t == 34:
        return f"{c(['navigate to', 'take me to', 'how long does it take to get to'])} {c(PLACES)}"
    if t == 35:
        return f"{c(['find a', 'is there a', 'where is the nearest'])} {c(SHOPS)} {c(['near me', 'in ' + c(CITIES), 'open now'])}"
    if t == 36:
        return f"is the {c(DOORS)} door {c(['locked', 'open', 'closed'])}"
    if t == 37:
        return f"how long does it take to drive to {c(CITIES)}"
    if t == 38:
        return f"{c(['what day is it', 'what is the date', 'what is the time'])} {c(['today', 'in ' + c(CITIES), 'tomorrow'])}"
    return c(FIXED)


def normalize_text(s):
    s = " ".join(s.lower().split())
    assert all(ch in LABELS[1:] for ch in s), s
    return s


def sentence_sets(rng, n_test, n_dev):
    """Disjoint test (shared by all voices), dev (progress only) and a pool generator for training."""
    test, dev, seen = [], [], set()
    while len(test) < n_test:
        s = normalize_text(make_sentence(rng))
        if s not in seen:
            seen.add(s); test.append(s)
    while len(dev) < n_dev:
        s = normalize_text(make_sentence(rng))
        if s not in seen:
            seen.add(s); dev.append(s)
    return test, dev, seen


# ----------------------------------------------------------------------------------------------------
# Synthesis
# ----------------------------------------------------------------------------------------------------

def synth(text, lang, variant, speed, pitch, path):
    """espeak-ng -> sox: 16 kHz mono 16-bit, no dither (deterministic)."""
    espeak = subprocess.Popen(["espeak-ng", "-v", f"{lang}+{variant}", "-s", str(speed), "-p", str(pitch),
                               "--stdout", text], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    subprocess.run(["sox", "-v", "0.7", "-t", "wav", "-", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-D",
                    path], stdin=espeak.stdout, check=True, stderr=subprocess.DEVNULL)
    espeak.stdout.close()
    if espeak.wait() != 0:
        raise RuntimeError(f"espeak-ng failed for {lang}+{variant}: {text!r}")
    # espeak-ng pads ~0.3 s of silence; keep 0.1 s around the speech (saves ~10% of training compute)
    pcm = read_wav(path)
    loud = (pcm.abs() > TRIM_LEVEL).nonzero()
    if loud.numel():
        a = max(0, int(loud[0]) - TRIM_MARGIN)
        b = min(pcm.numel(), int(loud[-1]) + 1 + TRIM_MARGIN)
        write_wav(path, pcm[a:b])


def write_wav(path, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.numpy().astype("<i2").tobytes())


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == SAMPLE_RATE and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        data = w.readframes(w.getnframes())
    return torch.frombuffer(bytearray(data), dtype=torch.int16).clone()


def build_corpus(args, work):
    """Plans every utterance (seeded), synthesizes what is missing, returns the manifest."""
    rng = random.Random(SEED)
    test, dev, excluded = sentence_sets(rng, args.test_sentences, args.dev_sentences)
    utts = []
    for lang, variant, speed, pitch, held in VOICES:
        name = voice_name(lang, variant)
        vr = random.Random(f"{SEED}-{name}")

        def add(split, idx, text):
            s = max(80, speed + vr.randint(-SPEED_JITTER, SPEED_JITTER))
            p = min(99, max(0, pitch + vr.randint(-PITCH_JITTER, PITCH_JITTER)))
            utts.append({"id": f"{name}-{split}{idx:04d}", "voice": name, "lang": lang, "variant": variant,
                         "split": split, "text": text, "speed": s, "pitch": p, "held_out": held})

        for i, s in enumerate(test):
            add("t", i, s)
        if not held:
            for i, s in enumerate(vr.sample(dev, args.dev_per_voice)):
                add("d", i, s)
            n = 0
            while n < args.train_per_voice:
                s = normalize_text(make_sentence(vr))
                if s in excluded:
                    continue
                add("r", n, s)
                n += 1
    key = hashlib.sha256(json.dumps([CORPUS_VERSION, utts], sort_keys=True).encode()).hexdigest()[:16]
    manifest_path = os.path.join(work, "manifest.json")
    if not args.resynth and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
        if old.get("key") == key:
            print(f"corpus: reusing {len(utts)} utterances in {work} (key {key})", flush=True)
            return old["utts"], old.get("synth_seconds", 0.0), True
    t0 = time.time()
    for u in utts:
        os.makedirs(os.path.join(work, "wav", u["voice"]), exist_ok=True)
        u["path"] = os.path.join(work, "wav", u["voice"], u["id"] + ".wav")

    def job(u):
        synth(u["text"], u["lang"], u["variant"], u["speed"], u["pitch"], u["path"])

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for i, _ in enumerate(pool.map(job, utts)):
            if (i + 1) % 500 == 0:
                print(f"  synthesized {i + 1}/{len(utts)}", flush=True)
    synth_seconds = time.time() - t0
    with open(manifest_path, "w") as f:
        json.dump({"key": key, "synth_seconds": synth_seconds, "utts": utts}, f)
    print(f"corpus: synthesized {len(utts)} utterances in {synth_seconds:.1f} s", flush=True)
    return utts, synth_seconds, False


# ----------------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------------

# (channels, kernel, stride) of the 7 conv layers: total stride 10*4*4*2 = 320 (20 ms frames at 16 kHz).
# wav2vec2's own layout (10,5),(3,2)x4,(2,2)x2 has the same stride but spends ~6x the multiply-adds in
# its first layers (3,200 and 1,600 frames/s of 128 channels); this one trains ~2x faster per clip.
EXTRACTOR = [(128, 20, 10), (128, 8, 4), (128, 4, 4), (128, 2, 2), (128, 3, 1), (128, 3, 1), (128, 3, 1)]


def build_model(num_labels):
    return torchaudio.models.wav2vec2_model(
        extractor_mode="layer_norm",
        extractor_conv_layer_config=EXTRACTOR,
        extractor_conv_bias=False,
        encoder_embed_dim=192,
        encoder_projection_dropout=0.1,
        encoder_pos_conv_kernel=64,
        encoder_pos_conv_groups=16,
        encoder_num_layers=4,
        encoder_num_heads=4,
        encoder_attention_dropout=0.1,
        encoder_ff_interm_features=768,
        encoder_ff_interm_dropout=0.1,
        encoder_dropout=0.1,
        encoder_layer_norm_first=True,
        encoder_layer_drop=0.0,
        aux_num_out=num_labels,
    )


class CtcLogits(nn.Module):
    """What quantscope loads: forward(x [1, samples] float, already normalized) -> logits [1, frames, vocab]."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits, _ = self.model(x)
        return logits


def normalize_wave(x):
    """Per utterance (x - mean) / sqrt(var + 1e-7), population variance: what quantscope does for normalize: true."""
    x = x.float()
    return (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-7)


def to_float(pcm):
    return pcm.float() / 32768.0


def encode(text):
    return [LABELS.index(ch) for ch in text]


def greedy_decode(logits):
    ids = logits.argmax(-1).tolist()
    out, prev = [], 0
    for i in ids:
        if i != prev and i != 0:
            out.append(LABELS[i])
        prev = i
    return " ".join("".join(out).split())


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
        prev = cur
    return prev[-1]


def score(pairs):
    """pairs of (reference, hypothesis) -> WER, CER (characters incl. spaces), counts."""
    we = sum(edit_distance(r.split(), h.split()) for r, h in pairs)
    wn = sum(len(r.split()) for r, _ in pairs)
    ce = sum(edit_distance(list(r), list(h)) for r, h in pairs)
    cn = sum(len(r) for r, _ in pairs)
    return {"wer": we / wn, "cer": ce / cn, "word_errors": we, "words": wn, "char_errors": ce, "chars": cn,
            "clips": len(pairs)}


@torch.no_grad()
def transcribe(model, pcms):
    model.eval()
    return [greedy_decode(model(normalize_wave(to_float(p)).unsqueeze(0))[0][0]) for p in pcms]


def batches(items, batch_size, rng):
    """Length-sorted buckets (with a little jitter so batches change between epochs), shuffled order."""
    order = sorted(range(len(items)), key=lambda i: items[i][0].numel() * (1 + 0.1 * rng.random()))
    groups = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(groups)
    return groups


# speed perturbation factors as (orig, new) resampling ratios: 0.9x, 0.95x, 1.05x, 1.1x speed; shifts pitch
# and formants together, like a different vocal tract length
SPEED_PERTURB = [(9, 10), (19, 20), (21, 20), (11, 10)]


def collate(items, idx, rng=None):
    waves = [to_float(items[i][0]) for i in idx]
    if rng is not None:  # training augmentation
        gen = torch.Generator().manual_seed(rng.randrange(2**31))
        aug = []
        for w in waves:
            if rng.random() < 0.5:
                orig, new = rng.choice(SPEED_PERTURB)
                w = torchaudio.functional.resample(w, orig, new)
            w = normalize_wave(w)
            if rng.random() < 0.5:  # white noise at 15-40 dB SNR (the normalized speech has unit variance)
                w = w + torch.randn(w.shape, generator=gen) * 10 ** (-rng.uniform(15, 40) / 20)
            aug.append(w)
        waves = aug
    else:
        waves = [normalize_wave(w) for w in waves]
    lengths = torch.tensor([w.numel() for w in waves])
    x = torch.zeros(len(waves), int(lengths.max()))
    for k, w in enumerate(waves):
        x[k, :w.numel()] = w
    targets = [torch.tensor(items[i][1]) for i in idx]
    tlen = torch.tensor([t.numel() for t in targets])
    return x, lengths, torch.cat(targets), tlen


def train(model, train_items, dev_items, args, log):
    rng = random.Random(SEED + 1)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    steps_per_epoch = math.ceil(len(train_items) / args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch,
                                                pct_start=args.warmup, anneal_strategy="cos")
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    t0 = time.time()
    c0 = time.process_time()
    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, count, skipped = 0.0, 0, 0
        for idx in batches(train_items, args.batch, rng):
            x, lengths, targets, tlen = collate(train_items, idx, rng)
            logits, out_len = model(x, lengths)
            logp = logits.log_softmax(-1).transpose(0, 1)
            loss = ctc(logp, targets, out_len, tlen)
            opt.zero_grad()
            if not torch.isfinite(loss):
                skipped += 1
                sched.step()
                continue
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            count += len(idx)
        entry = {"epoch": epoch, "loss": total / max(count, 1), "minutes": (time.time() - t0) / 60,
                 "cpu_minutes": (time.process_time() - c0) / 60}
        if epoch % args.dev_every == 0 or epoch == args.epochs:
            hyps = transcribe(model, [p for p, _, _ in dev_items])
            entry["dev"] = score([(t, h) for (_, _, t), h in zip(dev_items, hyps)])
        history.append(entry)
        dev = f"  dev WER {entry['dev']['wer'] * 100:5.1f}% CER {entry['dev']['cer'] * 100:5.1f}%" if "dev" in entry else ""
        log(f"epoch {epoch:2d}/{args.epochs}  loss {entry['loss']:.3f}  lr {sched.get_last_lr()[0]:.2e}"
            f"  {entry['minutes']:.1f} min (cpu {entry['cpu_minutes']:.1f}){dev}" + (f"  ({skipped} non-finite batches skipped)" if skipped else ""))
        if not math.isfinite(entry["loss"]):
            raise RuntimeError("training diverged")
    return time.time() - t0, time.process_time() - c0, history


def fold_weight_norm(model):
    """torchaudio's positional conv uses weight_norm, whose pre-hook does not script in torch 1.13;
    folding it leaves an ordinary Conv1d weight parameter with the same values."""
    conv = model.encoder.transformer.pos_conv_embed.conv
    for hook in list(conv._forward_pre_hooks.values()):
        if type(hook).__name__ == "WeightNorm":
            torch.nn.utils.remove_weight_norm(conv)
            break
    return model


def export(model, path, meta, probe_pcms, log):
    model = fold_weight_norm(model).eval()
    wrapper = CtcLogits(model).eval()
    scripted = torch.jit.script(wrapper)
    torch.jit.save(scripted, path, _extra_files={"model.json": json.dumps(meta)})
    # Verify: reload (also with the profiling executor off, as the C++ side runs it), compare with eager.
    extra = {"model.json": ""}
    loaded = torch.jit.load(path, _extra_files=extra)
    assert json.loads(extra["model.json"]) == meta
    worst = 0.0
    shapes = []
    # quantscope turns LibTorch's profiling executor off (it breaks scripted wav2vec2 from the second
    # call on, see DESIGN.md); verify under the same setting, twice per clip.
    old = torch._C._jit_set_profiling_executor(False)
    try:
        for _ in range(2):
            for pcm in probe_pcms:
                x = normalize_wave(to_float(pcm)).unsqueeze(0)
                with torch.no_grad():
                    ref = wrapper(x)
                    got = loaded(x)
                assert isinstance(got, torch.Tensor) and got.shape == ref.shape and got.dim() == 3
                worst = max(worst, (got - ref).abs().max().item())
                shapes.append(list(got.shape))
    finally:
        torch._C._jit_set_profiling_executor(old)
    if worst >= 1e-4:
        raise RuntimeError(f"exported model differs from eager: max abs diff {worst}")
    log(f"export: reloaded {os.path.basename(path)}, outputs {shapes[0]} and {shapes[1]}, max abs diff vs eager {worst:.2e}")
    layers = []
    for name, mod in wrapper.named_modules():
        if isinstance(mod, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            kind = {nn.Linear: "linear", nn.Conv1d: "conv1d", nn.Conv2d: "conv2d"}[type(mod)]
            layers.append({"name": name, "kind": kind, "shape": list(mod.weight.shape), "params": mod.weight.numel()})
    log(f"export: {len(layers)} quantizable layers (Linear/Conv weight parameters):")
    for l in layers:
        log(f"  {l['name']}.weight  {l['kind']}  {l['shape']}")
    return layers, worst


# ----------------------------------------------------------------------------------------------------
# Demo audio and reports
# ----------------------------------------------------------------------------------------------------

def write_demo_audio(out, utts_by_voice, n_clips):
    audio = os.path.join(out, "audio")
    if os.path.isdir(audio):
        shutil.rmtree(audio)
    written = {}
    for voice, utts in utts_by_voice.items():
        d = os.path.join(audio, voice)
        os.makedirs(d)
        chosen = utts[:n_clips]
        for u in chosen:
            flac = os.path.join(d, u["id"] + ".flac")
            subprocess.run(["flac", "--silent", "--best", "--no-seektable", "-f", "-o", flac, u["path"]], check=True)
            # the FLAC must decode to exactly the samples the model was measured on
            dec = subprocess.run(["flac", "--silent", "-d", "-c", "--force-raw-format", "--endian=little",
                                  "--sign=signed", flac], check=True, stdout=subprocess.PIPE).stdout
            assert torch.equal(torch.frombuffer(bytearray(dec), dtype=torch.int16), read_wav(u["path"])), flac
        with open(os.path.join(d, f"{voice}.trans.txt"), "w") as f:
            for u in chosen:
                f.write(f"{u['id']} {u['text']}\n")
        written[voice] = [u["id"] for u in chosen]
    return written


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    return total


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_readme(out, q, args_line):
    v = q["voices"]
    rows = []
    for name in q["voice_order"]:
        e = v[name]
        rows.append(f"| `{name}` | {e['espeak_voice']} | -s {e['speed']} -p {e['pitch']} | "
                    f"{'held out' if e['held_out'] else 'train'} | {e['test']['wer'] * 100:.1f} | "
                    f"{e['test']['cer'] * 100:.1f} | {e['demo']['wer'] * 100:.1f} | {e['demo']['cer'] * 100:.1f} |")
    s, m, t = q["summary"], q["model"], q["timings_seconds"]
    train_voices = ", ".join(f"`{n}`" for n in q["voice_order"] if not v[n]["held_out"])
    held_voices = ", ".join(f"`{n}`" for n in q["voice_order"] if v[n]["held_out"])
    text = f"""# quantscope demo assets

Generated by `tools/make_demo.py` (seeded). Do not edit by hand: re-run the script.

- `model.pt`: a character-level CTC speech recognizer, torchaudio's wav2vec2 architecture at small size
  ({m['params']:,} parameters, {m['file_bytes'] / 2**20:.1f} MiB), trained from scratch on espeak-ng speech.
  TorchScript (scripted); `forward(x)` takes a float tensor `[1, samples]` at 16 kHz, normalized per
  utterance as `(x - mean) / sqrt(var + 1e-7)` (population variance), and returns logits
  `[1, frames, {len(LABELS)}]` at 50 frames/s. The archive carries `model.json`:
  `sample_rate` 16000, `normalize` true, `labels` = CTC blank `<blank>` first, then space, apostrophe, `a`-`z`.
  Greedy decoding: argmax per frame, merge repeats, drop blanks.
  Architecture: `layer_norm` conv extractor (7 layers, 128 channels, (kernel, stride) {', '.join(f'({k},{st})' for _, k, st in EXTRACTOR)},
  total stride 320),
  4 pre-norm transformer layers (dim 192, 4 heads, FFN 768), convolutional positional embedding
  (kernel 64, 16 groups, weight norm folded into a plain weight), linear CTC head.
  {m['quantizable_layers']} quantizable layers (Linear/Conv weights); see `quality.json` for their names.
- `audio/<voice>/`: {q['demo']['clips_per_voice']} clips per voice, 16 kHz mono 16-bit FLAC, with LibriSpeech-style
  `<voice>.trans.txt` (`UTTID text`, lowercase like the model's labels). {len(q['voice_order'])} voices, one folder each.
  The clips are test sentences: no clip's sentence was ever used in training, for any voice.
- `quality.json`: the float model's greedy-CTC WER/CER per voice, timings, layer names.

## Voices

Each voice is an espeak-ng accent plus a voice variant, at its own speed (`-s`, words/min) and pitch (`-p`);
each utterance jitters speed by up to ±{SPEED_JITTER} and pitch by up to ±{PITCH_JITTER} around those.

- Training voices ({s['train_voices']}): {train_voices}.
- Held-out voices ({s['heldout_voices']}), never heard in training: {held_voices}.

Training used {q['data']['train_utterances']:,} utterances ({q['data']['train_hours'] * 60:.0f} minutes of audio) of
randomly generated voice-assistant commands and digit strings; sentences in the test set were excluded.

## Quality of the float model (greedy CTC)

"test" = all {q['data']['test_sentences']} test sentences per voice; "demo" = the {q['demo']['clips_per_voice']} of them
shipped in `audio/` (what `quantscope-cli evaluate` on `audio/` should reproduce for the float model).
WER/CER in percent; CER counts characters including spaces.

| folder | espeak-ng voice | speed/pitch | role | test WER | test CER | demo WER | demo CER |
|---|---|---|---|---:|---:|---:|---:|
{chr(10).join(rows)}

- Training voices, unseen sentences: WER {s['train_voices_test']['wer'] * 100:.1f}%, CER {s['train_voices_test']['cer'] * 100:.1f}%.
- Held-out voices: WER {s['heldout_voices_test']['wer'] * 100:.1f}%, CER {s['heldout_voices_test']['cer'] * 100:.1f}%.

The demo columns rest on about 60 words per voice: differences of a few points between voices there are noise.

## Timings on the generating machine

{q['machine']['cpu']} ({q['machine']['cores']} cores), {q['machine']['threads']} torch threads, torch {q['machine']['torch']},
torchaudio {q['machine']['torchaudio']}, on a machine shared with other jobs (builds and tests ran beside it),
so wall times are upper bounds; training's CPU time summed over its threads is given too.

| step | time |
|---|---:|
| speech synthesis ({q['data']['utterances']:,} utterances, {q['data']['synth_jobs']} jobs) | {t['synthesis'] / 60:.1f} min |
| training ({q['training']['epochs']} epochs of {q['data']['train_utterances']:,} clips, batch {q['training']['batch']}) | {t['training'] / 60:.1f} min ({t['training_cpu'] / 60:.1f} CPU-min) |
| evaluation, export, demo audio | {(t['evaluation'] + t['export'] + t['demo_audio']) / 60:.1f} min |
| total | {t['total'] / 60:.1f} min |

## Re-running

```
{args_line}
```

The intermediate corpus (all synthesized WAV files) goes to `--work-dir`, outside the repository, and is
reused on the next run when nothing about it changed. Everything is seeded; exact bit equality of the
model additionally needs the same torch build and thread count.
"""
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write(text)


# ----------------------------------------------------------------------------------------------------

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "resources", "demo"))
    ap.add_argument("--work-dir", default="/work/scratch/demo", help="intermediate corpus (outside the repo)")
    ap.add_argument("--train-per-voice", type=int, default=225)
    ap.add_argument("--test-sentences", type=int, default=30, help="test sentences, spoken by every voice")
    ap.add_argument("--dev-sentences", type=int, default=60)
    ap.add_argument("--dev-per-voice", type=int, default=4)
    ap.add_argument("--demo-clips", type=int, default=10, help="demo clips per voice (from the test sentences)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3, help="one-cycle peak learning rate")
    ap.add_argument("--warmup", type=float, default=0.1, help="fraction of steps rising to the peak")
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--dev-every", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2, help="parallel espeak-ng processes")
    ap.add_argument("--reuse-model", action="store_true",
                    help="skip training and load the last run's weights from --work-dir (for re-exporting)")
    ap.add_argument("--resynth", action="store_true", help="synthesize again even if the cached corpus matches")
    ap.add_argument("--min-heldout-wer", type=float, default=0.25, help="fail when held-out WER is not below this")
    args = ap.parse_args()

    t_start = time.time()
    random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    out = os.path.abspath(args.out)
    work = os.path.abspath(args.work_dir)
    if os.path.commonpath([work, os.path.abspath(os.path.join(here, ".."))]) == os.path.abspath(os.path.join(here, "..")):
        sys.exit("make_demo.py: --work-dir must be outside the repository")
    os.makedirs(out, exist_ok=True)
    os.makedirs(work, exist_ok=True)

    def log(msg):
        print(f"[{time.time() - t_start:7.1f}s] {msg}", flush=True)

    # 1. corpus
    utts, synth_seconds, cached = build_corpus(args, work)
    t_synth_wall = time.time() - t_start
    for u in utts:
        u["pcm"] = read_wav(u["path"])
    train_items = [(u["pcm"], encode(u["text"]), u["text"]) for u in utts if u["split"] == "r"]
    dev_items = [(u["pcm"], encode(u["text"]), u["text"]) for u in utts if u["split"] == "d"]
    train_seconds_audio = sum(p.numel() for p, _, _ in train_items) / SAMPLE_RATE
    log(f"data: {len(train_items)} training utterances ({train_seconds_audio / 60:.1f} min audio), "
        f"{len(dev_items)} dev, {sum(u['split'] == 't' for u in utts)} test")

    # 2. train
    model = build_model(len(LABELS))
    n_params = sum(p.numel() for p in model.parameters())
    log(f"model: {n_params:,} parameters")
    assert n_params <= 6_000_000
    ckpt = os.path.join(work, "trained.pt")
    model_reused = args.reuse_model and os.path.exists(ckpt)
    if model_reused:
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        train_time, train_cpu, history = state["train_time"], state["train_cpu"], state["history"]
        log(f"training: reusing {ckpt} (trained with {state['args']})")
        ta = argparse.Namespace(**state["args"])
        if (ta.train_per_voice, ta.test_sentences, ta.dev_sentences, ta.dev_per_voice) != (
                args.train_per_voice, args.test_sentences, args.dev_sentences, args.dev_per_voice):
            sys.exit("make_demo.py: --reuse-model needs the corpus options the weights were trained with")
    else:
        ta = args
        train_time, train_cpu, history = train(model, train_items, dev_items, args, log)
        torch.save({"model": model.state_dict(), "train_time": train_time, "train_cpu": train_cpu,
                    "history": history, "args": vars(args)}, ckpt)
    log(f"training: {train_time / 60:.1f} min wall, {train_cpu / 60:.1f} min cpu over {ta.threads} threads")

    # 3. evaluate
    t0 = time.time()
    by_voice = {}
    for u in utts:
        if u["split"] == "t":
            by_voice.setdefault(u["voice"], []).append(u)
    voices, order = {}, []
    all_train, all_held = [], []
    for lang, variant, speed, pitch, held in VOICES:
        name = voice_name(lang, variant)
        order.append(name)
        vu = by_voice[name]
        hyps = transcribe(model, [u["pcm"] for u in vu])
        pairs = [(u["text"], h) for u, h in zip(vu, hyps)]
        (all_held if held else all_train).extend(pairs)
        voices[name] = {"espeak_voice": f"{lang}+{variant}", "speed": speed, "pitch": pitch, "held_out": held,
                        "test": score(pairs), "demo": score(pairs[:args.demo_clips]),
                        "examples": [{"ref": r, "hyp": h} for r, h in pairs[:3]]}
        log(f"  {name:24s} {'held-out' if held else 'train   '}  WER {voices[name]['test']['wer'] * 100:5.1f}%"
            f"  CER {voices[name]['test']['cer'] * 100:5.1f}%")
    summary = {"train_voices": sum(not v[4] for v in VOICES), "heldout_voices": sum(v[4] for v in VOICES),
               "train_voices_test": score(all_train), "heldout_voices_test": score(all_held)}
    log(f"summary: train voices (unseen sentences) WER {summary['train_voices_test']['wer'] * 100:.1f}%, "
        f"held-out voices WER {summary['heldout_voices_test']['wer'] * 100:.1f}%")
    eval_time = time.time() - t0

    # 4. export
    t0 = time.time()
    meta = {"sample_rate": SAMPLE_RATE, "labels": LABELS, "normalize": True, "name": "quantscope-demo-ctc",
            "description": "Character CTC recognizer (torchaudio wav2vec2 architecture, "
                           f"{n_params / 1e6:.1f}M parameters) trained from scratch on espeak-ng voice-assistant "
                           "commands; greedy decoding; labels[0] is the CTC blank."}
    model_path = os.path.join(out, "model.pt")
    probe = sorted((by_voice[order[-1]][:4]), key=lambda u: u["pcm"].numel())
    layers, max_diff = export(model, model_path, meta, [probe[0]["pcm"], probe[-1]["pcm"]], log)
    export_time = time.time() - t0

    # 5. demo audio
    t0 = time.time()
    written = write_demo_audio(out, {n: by_voice[n] for n in order}, args.demo_clips)
    demo_time = time.time() - t0
    # sum of the steps, so that a run reusing the cached corpus or weights still reports what they cost
    total = synth_seconds + train_time + eval_time + export_time + demo_time

    q = {
        "generator": "tools/make_demo.py", "seed": SEED,
        "decoding": "greedy CTC (argmax, merge repeats, drop blank)",
        "metrics": "WER over words, CER over characters including spaces, summed over clips",
        "model": {"file": "model.pt", "file_bytes": os.path.getsize(model_path), "params": n_params,
                  "params_exported": sum(p.numel() for p in model.parameters()),
                  "quantizable_layers": len(layers), "layers": layers, "labels": LABELS, "normalize": True,
                  "export_max_abs_diff": max_diff},
        "data": {"utterances": len(utts), "train_utterances": len(train_items),
                 "train_hours": train_seconds_audio / 3600, "test_sentences": args.test_sentences,
                 "synth_jobs": args.jobs, "corpus_reused": cached},
        "training": {"epochs": ta.epochs, "batch": ta.batch, "optimizer": "AdamW (wd 0.01)",
                     "schedule": f"one-cycle, peak {ta.lr}, warmup {ta.warmup}", "grad_clip": ta.clip,
                     "augmentation": "speed perturbation 0.9/0.95/1.05/1.1 on half the clips; white noise at 15-40 dB SNR on half the clips", "weights_reused": model_reused,
                     "history": history},
        "demo": {"clips_per_voice": args.demo_clips, "folders": written, "audio_bytes": du(os.path.join(out, "audio"))},
        "voice_order": order, "voices": voices, "summary": summary,
        "timings_seconds": {"synthesis": synth_seconds, "synthesis_wall_this_run": t_synth_wall,
                            "training": train_time, "training_cpu": train_cpu, "evaluation": eval_time, "export": export_time,
                            "demo_audio": demo_time, "total": total,
                            "this_run_wall": time.time() - t_start},
        "machine": {"cpu": cpu_name(), "threads": args.threads, "cores": os.cpu_count(), "torch": torch.__version__,
                    "torchaudio": torchaudio.__version__},
    }
    with open(os.path.join(out, "quality.json"), "w") as f:
        json.dump(q, f, indent=1)
    defaults = {"--out": "resources/demo", "--work-dir": "/work/scratch/demo"}
    args_line = "nice -n 10 /usr/bin/python3 tools/make_demo.py " + " ".join(
        f"{k} {v}" for k, v in defaults.items())
    write_readme(out, q, args_line)
    log(f"done: model {q['model']['file_bytes'] / 2**20:.1f} MiB, audio {q['demo']['audio_bytes'] / 2**20:.1f} MiB, "
        f"this run {(time.time() - t_start) / 60:.1f} min")
    if summary["heldout_voices_test"]["wer"] >= args.min_heldout_wer:
        sys.exit(f"make_demo.py: held-out WER {summary['heldout_voices_test']['wer'] * 100:.1f}% is not below "
                 f"{args.min_heldout_wer * 100:.0f}%")


if __name__ == "__main__":
    main()
