// The personalization matrix as files: personalization.json (everything: the split, the profiles,
// the schemes with their bits and calibration clips, per matrix the cells for every measure and
// the gains with their intervals, per-clip sums), matrix.csv (one row per cell), gains.csv (one
// row per profile, comparison and measure) and clips.csv (every clip and what it served for).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/personalization/personalization.h"

namespace qs {

nlohmann::json toJson(const PersonalizationResult& result);
// Reads personalization.json back (the studio shows saved results). Throws InputError.
PersonalizationResult personalizationFromJson(const nlohmann::json& j);

// target_mb,target_bits,spread,scheme,kind,tune_profile,test_profile,clips,size_mb,average_bits,
// wer,cer,wer_vs_float,cer_vs_float,sqnr_db,kl (empty where a measure does not apply)
std::string matrixCsv(const PersonalizationResult& result);
// target_mb,target_bits,spread,profile,versus,versus_scheme,measure,own,other,gain,low,high,
// confidence,resamples,clips,identical,verdict
std::string gainsCsv(const PersonalizationResult& result);
// path,speaker,profiles,part,purposes: which clips were analysed and calibrated on (tune, with the
// calibration sets that used them) and which were evaluated (test)
std::string clipsCsv(const PersonalizationResult& result);

// Writes the four files into dir (created if needed), each atomically. Throws InputError.
void savePersonalization(const std::string& dir, const PersonalizationResult& result);

// "own scheme better: +2.1 points WER [+0.4, +3.9]" / "no measurable difference: +0.3 dB [-0.2, +0.8]"
std::string gainText(const SchemeGain& g);
// A value for people: "12.3%" for rates, "24.1 dB", "0.0123" for KL.
std::string measureText(Measure m, double value);

}  // namespace qs
