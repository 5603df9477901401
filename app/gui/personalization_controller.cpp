// The personalization job: corpus, split and profiles, the matrix on the pool, progress and cancel.
#include "app/gui/personalization_controller.h"

#include <QFileInfo>

#include "app/gui/background_job.h"
#include "app/gui/comparison_audio.h"
#include "core/allocation/size_model.h"
#include "core/engine/engine.h"

namespace qs::gui {

PersonalizationController::PersonalizationController(QThreadPool* pool, QObject* parent) : QObject(parent), pool_(pool) {
    connect(&progress_, &ProgressTicker::progress, this, &PersonalizationController::progress);
}

PersonalizationController::~PersonalizationController() { cancel(); }

bool PersonalizationController::start(const PersonalizationRequest& request) {
    QString problem;
    if (running_) problem = tr("a comparison is already running");
    else if (!request.model) problem = tr("open the model before comparing schemes");
    else if (request.audioFolder.isEmpty()) problem = tr("add an audio folder with the users' clips before comparing");
    else if (request.budgetBits.empty()) problem = tr("give at least one budget in bits per weight");
    if (!problem.isEmpty()) {
        emit failed(problem);
        return false;
    }
    const std::shared_ptr<ProgressSlot> slot = progress_.start();
    running_ = true;

    const PersonalizationRequest req = request;
    auto work = [slot, req]() {
        const ProgressFn progress = ProgressSlot::callback(slot);
        const AudioCorpus corpus = comparisonAudio(*req.model, req.audioFolder, req.corpus, req.speakers);
        const ClipSplit split = ClipSplit::make(corpus, req.split.active() ? req.split : SplitSpec::fraction(0.5));
        std::vector<Profile> profiles = req.profiles;
        if (profiles.empty())
            for (const Speaker& s : corpus.speakers()) profiles.push_back({s.name, {s.name}});
        CompareOptions options = req.options;
        const SizeModel size = SizeModel::fromModel(req.model->info());
        options.targetsMb.clear();
        for (double b : req.budgetBits) options.targetsMb.push_back(targetMbForAverageBits(size, b));
        if (slot->stop.load()) throw Cancelled();
        return std::make_shared<const PersonalizationResult>(
            engine().comparePersonalization(*req.model, corpus, split, profiles, options, progress));
    };
    runInBackground<std::shared_ptr<const PersonalizationResult>>(
        pool_, this, std::move(work), [this](const JobOutcome<std::shared_ptr<const PersonalizationResult>>& out) {
            progress_.finish();
            running_ = false;
            if (out.value) emit finished(*out.value);
            else if (out.cancelled) emit cancelled();
            else emit failed(out.error.isEmpty() ? tr("the comparison stopped without a result") : out.error);
        });
    emit started(tr("Comparing schemes on %1").arg(QFileInfo(request.audioFolder).fileName()));
    return true;
}

void PersonalizationController::cancel() {
    if (running_) progress_.cancel();
}

}  // namespace qs::gui
