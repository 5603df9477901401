// Budgets, profiles and scheme options of the comparison commands.
#include "app/cli/comparison_args.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "app/cli/corpus_args.h"
#include "core/base/errors.h"

namespace qs::cli {

std::vector<double> positiveNumbers(const Args& args, const std::string& name) {
    std::vector<double> out;
    std::stringstream ss(args.required(name));
    for (std::string item; std::getline(ss, item, ',');) {
        char* end = nullptr;
        const double v = std::strtod(item.c_str(), &end);
        if (item.empty() || *end != '\0' || !std::isfinite(v) || v <= 0)
            throw InputError("--" + name + " takes positive numbers separated by commas, not '" + args.required(name) + "'");
        out.push_back(v);
    }
    return out;
}

std::vector<double> budgetsMb(const Args& args, const SizeModel& size) {
    if (args.has("target-bits") == args.has("target-mb")) throw InputError("give the budgets as --target-bits or --target-mb");
    if (args.has("target-mb")) return positiveNumbers(args, "target-mb");
    std::vector<double> out;
    for (double b : positiveNumbers(args, "target-bits")) out.push_back(targetMbForAverageBits(size, b));
    return out;
}

std::vector<Profile> chooseProfiles(const Args& args, const AudioCorpus& corpus) {
    std::vector<Profile> all = speakerGroups(args, corpus);
    if (all.empty())
        for (const Speaker& s : corpus.speakers()) all.push_back({s.name, {s.name}});
    if (!args.has("profile")) return all;
    std::vector<Profile> chosen;
    for (const std::string& name : args.all("profile")) {
        auto it = std::find_if(all.begin(), all.end(), [&](const Profile& p) { return p.name == name; });
        if (it == all.end()) {
            std::string known;
            for (const Profile& p : all) known += (known.empty() ? "" : ", ") + p.name;
            throw InputError("unknown profile '" + name + "' (available: " + known + ")");
        }
        chosen.push_back(*it);
    }
    return chosen;
}

void readSchemeOptions(const Args& args, CompareOptions& o) {
    o.threads = args.getInt("threads", 0);
    if (o.threads < 0) throw InputError("--threads must be 0 (every core) or more");
    o.minBits = args.getInt("min-bits", kDefaultMinBits);
    if (o.minBits < 1 || o.minBits > 31) throw InputError("--min-bits must be 1 to 31");
    o.distanceClips = args.getInt("distance-clips", o.distanceClips);
    o.distanceBits = args.getInt("distance-bits", o.distanceBits);
    ExportOptions& cal = o.calibration;
    cal.calibrationClips = args.getInt("calibration-clips", cal.calibrationClips);
    cal.activationBits = args.getInt("activation-bits", cal.activationBits);
    // Any weight calibration the export offers.
    cal.weights.method = parseWeightRange(args.get("weight-calibration", weightRangeName(cal.weights.method)));
    cal.activations.method = parseActivationRange(args.get("activation-calibration", activationRangeName(cal.activations.method)));
    o.bootstrap.resamples = args.getInt("bootstrap", o.bootstrap.resamples);
    o.bootstrap.confidence = args.getDouble("confidence", o.bootstrap.confidence);
    if (o.bootstrap.resamples < 100) throw InputError("--bootstrap takes at least 100 resamples");
    if (!(o.bootstrap.confidence > 0.5 && o.bootstrap.confidence < 1)) throw InputError("--confidence must be between 0.5 and 1");
}

}  // namespace qs::cli
