// comparePersonalization(): tune analysis, schemes, shared calibration, and the evaluation of every
// distinct scheme on every test clip.
#include "core/personalization/compare_run.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "core/allocation/sensitivity.h"
#include "core/base/errors.h"
#include "core/evaluation/ctc.h"
#include "core/evaluation/error_rates.h"
#include "core/evaluation/output_compare.h"
#include "core/export/packed_weights.h"
#include "core/model/clip_runner.h"
#include "core/quantize/activation_calibration.h"
#include "core/quantize/weight_calibration.h"
#include "core/stats/analyzer.h"
#include "core/stats/distance_scores.h"

namespace qs {
namespace {

constexpr int kMaxQuantizedBits = 16;  // wider allocations stay in float, as in the export

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Maps each phase's own progress onto one bar for the whole run.
class PhaseProgress {
public:
    PhaseProgress(const ProgressFn& fn, std::size_t total) : fn_(fn), total_(std::max<std::size_t>(total, 1)) {}
    void setTotal(std::size_t total) { total_ = std::max(total, offset_ + 1); }
    ProgressFn phase(const std::string& name, std::size_t units) {
        const std::size_t start = offset_;
        offset_ += units;
        total_ = std::max(total_, offset_);
        return [this, name, start, units](const Progress& p) {
            Progress g;
            g.total = total_;
            // Never backwards, whatever a phase reports.
            done_ = std::max(done_, start + std::size_t(std::min(1.0, p.fraction()) * double(units)));
            g.done = done_;
            g.message = p.message.empty() ? name : name + ": " + p.message;
            return !fn_ || fn_(g);
        };
    }

private:
    ProgressFn fn_;
    std::size_t total_;
    std::size_t offset_ = 0;
    std::size_t done_ = 0;
};

bool weightsNeedAudio(WeightRange m) { return m != WeightRange::MinMax && m != WeightRange::Mse; }

// What a distinct scheme runs with.
struct Variant {
    std::vector<int> bits;  // as quantized: >16 -> 32
    int calibrationSet = -1;
    std::vector<WeightOverride> overrides;
    std::vector<ActivationQuant> acts;
};

}  // namespace

PersonalizationResult runSchemes(const SpeechModel& model, const AudioCorpus& corpus, const ClipSplit& split,
                                 const std::vector<Profile>& profiles, const CompareOptions& options, bool distances,
                                 std::size_t schemeGuess, const SchemeMaker& makeSchemes, const ProgressFn& progress) {
    const auto start = Clock::now();
    const ModelInfo& info = model.info();
    const std::size_t nLayers = info.layers.size();
    if (!split.active()) throw InputError("the matrix needs tune and test clips: give a test fraction or a split list");
    if (profiles.empty()) throw InputError("no profile to compare");
    if (options.targetsMb.empty()) throw InputError("no budget to compare at");
    const ExportOptions& cal = options.calibration;
    if (cal.activationBits != 0 && (cal.activationBits < 2 || cal.activationBits > 16))
        throw InputError("activation bits must be 0 (off) or 2..16");

    PersonalizationResult r;
    r.modelPath = info.path;
    for (const LayerInfo& l : info.layers) r.layerNames.push_back(l.name);
    r.floatSizeMb = info.sizeMb();
    r.audioRoot = corpus.root();
    r.split = split.record();
    r.options = options;
    r.threads = options.threads > 0 ? options.threads : hardwareThreads();
    r.transcripts = !info.labels.empty();

    // The profiles' members, their tune and test corpora.
    std::vector<std::string> speakers;
    for (const Speaker& s : corpus.speakers()) speakers.push_back(s.name);
    checkProfileNames(profiles, speakers);
    std::set<std::string> members;
    for (const Profile& p : profiles)
        for (const std::string& s : p.speakers) {
            if (std::find(speakers.begin(), speakers.end(), s) == speakers.end())
                throw InputError("profile " + p.name + ": speaker " + s + " is not in " + corpus.root());
            members.insert(s);
        }
    auto onlyMembers = [&](AudioCorpus c, const std::set<std::string>& who) {
        c.keepClips([&](const Clip& clip) { return who.count(clip.speaker) > 0; });
        return c;
    };
    const AudioCorpus tune = onlyMembers(split.tuneCorpus(corpus), members);
    const AudioCorpus test = onlyMembers(split.testCorpus(corpus), members);
    std::vector<std::unique_ptr<AudioCorpus>> tuneOf;  // per profile
    for (const Profile& p : profiles) {
        tuneOf.push_back(std::make_unique<AudioCorpus>(onlyMembers(tune, {p.speakers.begin(), p.speakers.end()})));
        ProfileClips pc;
        pc.name = p.name;
        pc.speakers = p.speakers;
        for (const Speaker& s : tuneOf.back()->speakers()) pc.tuneClips += int(s.clips.size()), pc.tuneSeconds += s.seconds;
        for (const Speaker& s : test.speakers())
            if (std::count(p.speakers.begin(), p.speakers.end(), s.name)) pc.testClips += int(s.clips.size()), pc.testSeconds += s.seconds;
        if (pc.tuneClips == 0) throw InputError("profile " + p.name + " has no tune clip under the split (" + r.split.description + ")");
        if (pc.testClips == 0) throw InputError("profile " + p.name + " has no test clip under the split (" + r.split.description + ")");
        r.profiles.push_back(pc);
    }
    std::size_t tuneClips = 0, testClips = 0;
    for (const Speaker& s : tune.speakers()) tuneClips += s.clips.size();
    for (const Speaker& s : test.speakers()) testClips += s.clips.size();
    // Progress in forward passes: the distance passes cost one per layer (and one float) per
    // distance clip, so that the bar and its time estimate do not stall there.
    std::size_t distanceUnits = 0;
    if (distances)
        for (const Speaker& s : tune.speakers())
            distanceUnits += (options.distanceClips > 0 ? std::min<std::size_t>(s.clips.size(), std::size_t(options.distanceClips))
                                                        : s.clips.size()) * (nLayers + 1);
    PhaseProgress phases(progress, tuneClips + testClips * (1 + schemeGuess) + distanceUnits);

    // 1. Statistics (and distance scores) per speaker and profile, on the tune clips only.
    auto t0 = Clock::now();
    AnalyzeOptions ao;
    ao.threads = options.threads;
    ao.profiles = profiles;
    Analysis analysis = analyze(model, tune, ao, phases.phase("analysing the tune clips", tuneClips));
    if (distances) {
        DistanceOptions d;
        d.bits = options.distanceBits;
        d.clipsPerSpeaker = options.distanceClips;
        d.threads = options.threads;
        d.profiles = profiles;
        attachDistances(analysis, distanceScores(model, tune, d, phases.phase("distance passes", distanceUnits)));
    }
    r.skipped = analysis.skipped;
    r.phaseSeconds.emplace_back("analysis", since(t0));

    // 2. Schemes. Calibration sets: one per profile, then "all" (which uniform shares).
    t0 = Clock::now();
    const SizeModel size = sizeModelFor(analysis);
    std::vector<const AudioCorpus*> setCorpus;
    std::vector<std::vector<const Clip*>> setClips;
    for (std::size_t p = 0; p < profiles.size(); ++p) {
        setCorpus.push_back(tuneOf[p].get());
        setClips.push_back(pickCalibrationClips(*tuneOf[p], cal.calibrationClips));
    }
    setCorpus.push_back(&tune);
    setClips.push_back(pickCalibrationClips(tune, cal.calibrationClips));
    for (std::size_t k = 0; k < setClips.size(); ++k) {
        CalibrationSet set;
        set.name = k < profiles.size() ? profiles[k].name : kAllSpeakers;
        for (const Clip* c : setClips[k]) set.clips.push_back(clipKey(corpus.root(), *c));
        r.calibrationSets.push_back(std::move(set));
    }
    // Sets with the same clips are one (e.g. a profile that holds every member).
    std::vector<int> canonicalSet(setClips.size());
    for (std::size_t k = 0; k < setClips.size(); ++k) {
        canonicalSet[k] = int(k);
        for (std::size_t j = 0; j < k; ++j)
            if (r.calibrationSets[j].clips == r.calibrationSets[k].clips) {
                canonicalSet[k] = canonicalSet[j];
                break;
            }
    }

    std::vector<Variant> variants;
    std::map<std::pair<std::vector<int>, int>, int> variantOf;
    auto addVariant = [&](Scheme& s) {
        std::vector<int> q = s.bits;
        for (int& b : q)
            if (b > kMaxQuantizedBits) b = kFloatBits;
        const auto key = std::make_pair(q, canonicalSet[std::size_t(s.calibrationSet)]);
        auto it = variantOf.find(key);
        if (it == variantOf.end()) {
            it = variantOf.emplace(key, int(variants.size())).first;
            variants.push_back({q, key.second, {}, {}});
        }
        s.variant = it->second;
        s.sizeMb = size.sizeMb(s.bits);
        s.averageBits = size.averageBits(s.bits);
    };
    makeSchemes(analysis, size, r);
    for (Scheme& s : r.schemes) addVariant(s);

    // 3. Calibration, shared: activation ranges once per clip set and layer mask, weights once per
    // layer and width (per clip set too when the method reads audio).
    std::size_t calibrationUnits = 0;
    {
        std::set<int> sets;
        for (const Variant& v : variants) sets.insert(v.calibrationSet);
        for (int k : sets) calibrationUnits += setClips[std::size_t(k)].size();
    }
    phases.setTotal(tuneClips + distanceUnits + calibrationUnits + testClips * (1 + variants.size()));
    const ProgressFn calProgress = phases.phase("calibrating", calibrationUnits);
    std::map<std::pair<int, std::vector<bool>>, std::vector<ActivationEncoding>> actCache;
    std::map<std::tuple<int, int, int>, std::shared_ptr<std::vector<float>>> weightCache;  // (layer, bits, set)
    const bool audioWeights = weightsNeedAudio(cal.weights.method);
    std::size_t calibrated = 0;
    for (Variant& v : variants) {
        const int set = v.calibrationSet;
        const AudioCorpus& setAudio = *setCorpus[std::size_t(set)];
        const std::vector<const Clip*>& clips = setClips[std::size_t(set)];
        std::vector<bool> mask(nLayers);
        for (std::size_t l = 0; l < nLayers; ++l) mask[l] = v.bits[l] < kFloatBits;
        // This set's calibration passes, as a share of the phase (the weights' passes count as its end).
        auto within = [&](const std::string& what) {
            return [&, what](const Progress& p) {
                Progress here;
                here.total = calibrationUnits;
                here.done = calibrated + (what == "weights" ? 0 : std::size_t(p.fraction() * double(clips.size())));
                here.message = r.calibrationSets[std::size_t(set)].name + ", " + what;
                return calProgress(here);
            };
        };
        if (cal.activationBits > 0) {
            auto it = actCache.find({set, mask});
            if (it == actCache.end()) {
                ActivationCalibrationOptions a = cal.activations;
                a.bits = cal.activationBits;
                a.threads = options.threads;
                it = actCache.emplace(std::make_pair(set, mask),
                                      calibrateActivations(model, setAudio, clips, mask, a, within("activations"))).first;
                calibrated += clips.size();
            }
            for (const ActivationEncoding& e : it->second)
                if (e.on) v.acts.push_back(e.quant());
        }
        const int weightSet = audioWeights ? set : -1;
        std::vector<int> needed(nLayers, kFloatBits);
        bool any = false;
        for (std::size_t l = 0; l < nLayers; ++l)
            if (v.bits[l] < kFloatBits && !weightCache.count({int(l), v.bits[l], weightSet})) needed[l] = v.bits[l], any = true;
        if (any) {
            WeightCalibrationOptions w = cal.weights;
            w.threads = options.threads;
            std::vector<WeightEncoding> enc = calibrateWeights(model, needed, &setAudio, clips, w, within("weights"));
            for (std::size_t l = 0; l < nLayers; ++l) {
                if (needed[l] >= kFloatBits) continue;
                WeightEntry entry{info.layers[l].name, info.layers[l].shape, {}, std::move(enc[l].codes)};
                weightCache[{int(l), needed[l], weightSet}] = std::make_shared<std::vector<float>>(dequantize(entry));
            }
        }
        for (std::size_t l = 0; l < nLayers; ++l)
            if (v.bits[l] < kFloatBits) v.overrides.push_back({int(l), weightCache.at({int(l), v.bits[l], weightSet}).get()});
    }
    r.phaseSeconds.emplace_back("calibration", since(t0));

    // 4. The float model on every test clip, once.
    t0 = Clock::now();
    std::vector<const Clip*> clips;
    for (const Speaker& s : test.speakers())
        for (const Clip& c : s.clips) clips.push_back(&c);
    struct FloatClip {
        bool ok = false;
        std::vector<float> wave;
        ModelOutput output;
        std::string transcript;
        std::string failure;
    };
    std::vector<FloatClip> floats(clips.size());
    Progress base;
    base.total = clips.size();
    runTasks(clips.size(), options.threads, [&](int, std::size_t i) {
        FloatClip& f = floats[i];
        try {
            f.wave = test.load(*clips[i]);
            f.output = model.forward(f.wave);
        } catch (const AudioError& e) {
            f.failure = e.what();
            return;
        } catch (const ModelError& e) {
            f.failure = std::string("the model could not process this clip: ") + e.what();
            return;
        }
        if (r.transcripts) f.transcript = greedyCtcDecode(f.output, info.labels);
        f.ok = true;
    }, phases.phase("float outputs", testClips), base, [&](std::size_t i) { return clips[i]->speaker + ": " + clips[i]->id; });
    std::vector<std::size_t> kept;  // indices into clips of the usable ones
    for (std::size_t i = 0; i < clips.size(); ++i) {
        if (!floats[i].ok) {
            r.skipped.push_back({clips[i]->path, floats[i].failure});
            continue;
        }
        kept.push_back(i);
        const Clip& c = *clips[i];
        r.testClips.push_back({clipKey(corpus.root(), c), c.id, c.speaker, c.seconds, c.transcript, floats[i].transcript});
        r.references = r.references || (r.transcripts && !c.transcript.empty());
    }
    sortSkipped(r.skipped);
    r.primary = primaryMeasure(r.transcripts, r.references);
    r.columnClips.assign(profiles.size() + 1, {});
    for (std::size_t k = 0; k < r.testClips.size(); ++k) {
        for (std::size_t p = 0; p < profiles.size(); ++p)
            if (std::count(profiles[p].speakers.begin(), profiles[p].speakers.end(), r.testClips[k].speaker))
                r.columnClips[p].push_back(k);
        r.columnClips[profiles.size()].push_back(k);
    }
    for (std::size_t p = 0; p < profiles.size(); ++p) {
        if (r.columnClips[p].empty()) throw InputError("no test clip of profile " + profiles[p].name + " could be decoded");
        ClipMeasures& fq = r.profiles[p].floatQuality;
        for (std::size_t k : r.columnClips[p]) {
            const TestClip& t = r.testClips[k];
            ++fq.clips;
            if (!r.transcripts || t.reference.empty()) continue;
            ++fq.transcriptClips;
            ++fq.referenceClips;
            const ErrorCounts w = wordErrors(t.reference, t.floatTranscript), c = charErrors(t.reference, t.floatTranscript);
            fq.wordErrors += double(w.edits), fq.words += double(w.referenceLength);
            fq.charErrors += double(c.edits), fq.chars += double(c.referenceLength);
        }
    }

    // 5. Every distinct scheme on every test clip.
    r.variants.assign(variants.size(), std::vector<ClipMeasures>(kept.size()));
    if (r.transcripts) r.variantTranscripts.assign(variants.size(), std::vector<std::string>(kept.size()));
    const std::size_t n = kept.size();
    base.total = variants.size() * n;
    runTasks(variants.size() * n, options.threads, [&](int, std::size_t task) {
        const std::size_t v = task / n, k = task % n;
        const FloatClip& f = floats[kept[k]];
        const ModelOutput q = model.forwardWithWeights(f.wave, variants[v].overrides, nullptr, variants[v].acts);
        OutputComparer compare;
        compare.add(f.output, q);
        ClipMeasures& m = r.variants[v][k];
        m.clips = 1;
        m.signal = compare.signal();
        m.noise = compare.noise();
        m.klSum = compare.klSum();
        m.rows = double(compare.rows());
        if (!r.transcripts) return;
        const std::string text = greedyCtcDecode(q, info.labels);
        r.variantTranscripts[v][k] = text;
        const ErrorCounts fw = wordErrors(f.transcript, text), fc = charErrors(f.transcript, text);
        m.transcriptClips = 1;
        m.floatWordErrors = double(fw.edits), m.floatWords = double(fw.referenceLength);
        m.floatCharErrors = double(fc.edits), m.floatChars = double(fc.referenceLength);
        const std::string& reference = r.testClips[k].reference;
        if (reference.empty()) return;
        const ErrorCounts w = wordErrors(reference, text), c = charErrors(reference, text);
        m.referenceClips = 1;
        m.wordErrors = double(w.edits), m.words = double(w.referenceLength);
        m.charErrors = double(c.edits), m.chars = double(c.referenceLength);
    }, phases.phase("evaluating", variants.size() * testClips), base, [&](std::size_t task) {
        return r.testClips[task % n].speaker + ": " + r.testClips[task % n].id;
    });
    r.phaseSeconds.emplace_back("evaluation", since(t0));

    r.elapsedSeconds = since(start);
    return r;
}

PersonalizationResult comparePersonalization(const SpeechModel& model, const AudioCorpus& corpus, const ClipSplit& split,
                                             const std::vector<Profile>& profiles, const CompareOptions& options,
                                             const ProgressFn& progress) {
    const auto start = Clock::now();
    const std::size_t nLayers = model.info().layers.size();
    const int allSet = int(profiles.size());
    const std::size_t schemeGuess = options.targetsMb.size() * (options.spreads.size() * (profiles.size() + 1) + 1);
    auto make = [&](const Analysis& analysis, const SizeModel& size, PersonalizationResult& r) {
        auto add = [&](Scheme s) {
            r.schemes.push_back(std::move(s));
            return int(r.schemes.size()) - 1;
        };
        std::map<std::pair<std::string, int>, BudgetCurve> curves;  // (profile or all, spread)
        auto bitsFor = [&](const std::string& who, int spread, double target) {
            auto it = curves.find({who, spread});
            if (it == curves.end()) {
                AllocationSettings s;
                s.order = options.order;
                s.minBits = options.minBits;
                s.spread = spread;
                it = curves.emplace(std::make_pair(who, spread),
                                    BudgetCurve::build(size, layerScores(analysis, options.metric, who), s)).first;
            }
            return it->second.lookup(target);
        };
        for (double target : options.targetsMb) {
            int uniform = -1;
            if (options.uniform) {
                Scheme u;
                u.kind = "uniform";
                u.targetMb = target;
                u.uniformBits = closestUniformBits(size, target, options.minBits);
                u.bits = uniformBits(nLayers, u.uniformBits);
                u.calibrationSet = allSet;
                uniform = add(u);
            }
            for (int spread : options.spreads) {
                PersonalizationMatrix m;
                m.targetMb = target;
                m.spread = spread;
                std::int64_t layerParams = 0;
                for (std::size_t l = 0; l < nLayers; ++l) layerParams += size.layerParams(l);
                m.targetBits = kFloatBits - (double(size.floatBits()) - target * kBitsPerMb) / double(layerParams);
                Scheme all;
                all.kind = "all";
                all.profile = kAllSpeakers;
                all.targetMb = target;
                all.spread = spread;
                all.bits = bitsFor(kAllSpeakers, spread, target);
                all.calibrationSet = allSet;
                for (std::size_t p = 0; p < profiles.size(); ++p) {
                    Scheme own;
                    own.kind = "own";
                    own.profile = profiles[p].name;
                    own.targetMb = target;
                    own.spread = spread;
                    own.bits = bitsFor(profiles[p].name, spread, target);
                    own.calibrationSet = int(p);
                    for (std::size_t l = 0; l < nLayers; ++l) own.differingFromAll += own.bits[l] != all.bits[l];
                    m.rows.push_back(add(own));
                }
                m.rows.push_back(add(all));
                if (uniform >= 0) m.rows.push_back(uniform);
                r.matrices.push_back(std::move(m));
            }
        }

    };
    PersonalizationResult r = runSchemes(model, corpus, split, profiles, options, !isStatistic(options.metric), schemeGuess,
                                         make, progress);
    const auto t0 = Clock::now();
    computeGains(r);
    r.phaseSeconds.emplace_back("bootstrap", since(t0));
    r.elapsedSeconds = since(start);
    return r;
}

}  // namespace qs
