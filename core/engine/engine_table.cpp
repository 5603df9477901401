// The engine's table (engine.h): every entry points to the stage function it names. Built into
// libqs_engine.so only.
#include "core/engine/engine.h"

#include "core/personalization/compare_run.h"
#include "core/scoring/scoring_run.h"

namespace {

std::shared_ptr<const qs::SpeechModel> loadModel(const std::string& path) {
    return std::make_shared<const qs::SpeechModel>(qs::SpeechModel::load(path));
}

qs::Engine makeTable() {
    qs::Engine e;
    e.loadModel = loadModel;
    e.analyze = qs::analyze;
    e.distanceScores = qs::distanceScores;
    e.exportQuantizedModel = qs::exportQuantizedModel;
    e.evaluate = qs::evaluate;
    e.comparePersonalization = qs::comparePersonalization;
    e.compareScoring = qs::compareScoring;
    return e;
}

}  // namespace

extern "C" const qs::Engine* qs_engine_table() {
    static const qs::Engine table = makeTable();
    return &table;
}
