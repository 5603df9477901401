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

// profile,target_mb,target_bits,row,kind,metric,order,draw,size_mb,average_bits,differing_layers,
// measure,value,difference,low,high,identical,verdict,recommended
std::string scoringCsv(const ScoringResult& result);

// Writes scoring.json and scoring.csv into dir (created if needed), each atomically. Throws InputError.
void saveScoring(const std::string& dir, const ScoringResult& result);

}  // namespace qs
