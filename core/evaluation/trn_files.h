// NIST "trn" transcript files of an evaluation, so that anyone can score quantscope's transcripts
// with the standard scorer, sclite (Debian's sctk):
//   sclite -r reference.trn trn -h quantized.trn trn -i rm -o sum stdout
// Three files in one folder: reference.trn (the reference transcripts), float.trn (the float
// model's greedy transcripts) and quantized.trn (the quantized model's). One utterance a line,
// "text (id)", the same ids in the same order in every file.
//
// The texts are written as quantscope scores them (normalizeForScoring: lower case, punctuation
// removed), so sclite's WER on these files is quantscope's WER (evaluation.json's wer_float,
// wer_quantized, and wer_vs_float with float.trn as the reference).
// sclite needs every hypothesis id in the reference, so when some clips have references the files
// hold those clips only (and no reference.trn is written when none has one: float.trn and
// quantized.trn then hold every clip).
// Ids: the clip id (file stem, "#k" for later windows of a long recording), prefixed with
// "<speaker>-" unless it starts with the speaker's name already; whitespace and parentheses become
// '_', and a repeated id gets "#2", "#3", ... .
#pragma once

#include <string>
#include <vector>

#include "core/evaluation/evaluation.h"

namespace qs {

struct TrnFiles {
    std::string reference;  // path, empty when no clip has a reference
    std::string floatHypotheses;
    std::string quantizedHypotheses;
    int utterances = 0;     // lines in each file
};

// The trn id of each clip of evaluation.clips (see above), in the same order.
std::vector<std::string> trnIds(const Evaluation& evaluation);
// The same for any list of clips, given each clip's speaker and id (two lists of one length).
std::vector<std::string> trnIds(const std::vector<std::string>& speakers, const std::vector<std::string>& ids);

// The clips a set of trn files holds, by index: with a reference for any clip, only the clips that
// have one (sclite needs every hypothesis id in the reference); else every clip.
std::vector<std::size_t> trnClips(const std::vector<bool>& hasReference);

// One trn line: "text (id)\n", or "(id)\n" for an empty text; text is normalised for scoring.
std::string trnLine(const std::string& text, const std::string& id);

// Writes the three files into dir (created if missing), each atomically. Throws InputError when the
// models have no CTC labels (no transcripts) or a file cannot be written.
TrnFiles writeTrnFiles(const std::string& dir, const Evaluation& evaluation);

}  // namespace qs
