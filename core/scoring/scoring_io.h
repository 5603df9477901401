// The scoring comparison as files: scoring.json (per profile and budget each row's rule, size, bits,
// measures with intervals against the default and the recommendation; with each profile's run as the
// personalization matrix writes it: the split, the schemes, the test clips with their reference and
// float transcripts, per-clip sums) and scoring.csv (one line per profile, budget, row and measure).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/scoring/scoring.h"

namespace qs {

nlohmann::json toJson(const ScoringResult& result);
// Reads scoring.json back (the studio shows saved comparisons): everything toJson writes, each row's
// interval with the run's bootstrap settings. Throws InputError naming what is wrong.
ScoringResult scoringFromJson(const nlohmann::json& j);

// profile,target_mb,target_bits,row,kind,metric,order,draw,size_mb,average_bits,differing_layers,
// measure,value,difference,low,high,identical,verdict,recommended
std::string scoringCsv(const ScoringResult& result);

// Writes scoring.json and scoring.csv into dir (created if needed), each atomically. Throws InputError.
void saveScoring(const std::string& dir, const ScoringResult& result);

// Every compared allocation's transcripts as NIST trn files (core/evaluation/trn_files.h), so that
// sclite scores each rule as quantscope does. Per profile, in dir/transcripts/<profile>/:
// reference.trn (when some test clip has a reference), float.trn, and one file per budget and row,
// "<bits>bits-<rule>.trn" (3.00bits-median-descending.trn, 3.00bits-random-2.trn). Returns the
// transcripts folder, or "" when there are none (no CTC labels, or a result read back from JSON).
// Throws InputError when a file cannot be written.
std::string writeScoringTranscripts(const std::string& dir, const ScoringResult& result);

}  // namespace qs
