// The personalization job: corpus, split and profiles, the matrix on the pool, progress and cancel.
#include "app/gui/personalization_controller.h"

#include <QFileInfo>
#include <atomic>
#include <mutex>

#include "app/gui/background_job.h"
#include "core/allocation/size_model.h"
#include "core/engine/engine.h"

namespace qs::gui {

struct PersonalizationController::Shared {
    std::atomic<bool> stop{false};
    std::mutex mutex;
    double fraction = 0.0;
    QString detail;
};

PersonalizationController::PersonalizationController(QThreadPool* pool, QObject* parent) : QObject(parent), pool_(pool) {
    ticker_.setInterval(250);
    connect(&ticker_, &QTimer::timeout, this, &PersonalizationController::poll);
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
    auto shared = std::make_shared<Shared>();
    shared_ = shared;
    running_ = true;
    clock_.start();
    ticker_.start();

    const PersonalizationRequest req = request;
    auto work = [shared, req]() {
        auto progress = [shared](const Progress& p) {
            if (shared->stop.load()) return false;
            std::lock_guard<std::mutex> lock(shared->mutex);
            shared->fraction = p.fraction();
            shared->detail = QString::fromStdString(p.message);
            return true;
        };
        const CorpusOptions wanted = corpusOptionsFor(req.model->info());
        AudioCorpus corpus = req.corpus && req.corpus->options().targetRate == wanted.targetRate &&
                                     req.corpus->options().normalize == wanted.normalize
                                 ? *req.corpus
                                 : AudioCorpus::scan(req.audioFolder.toStdString(), wanted);
        if (!req.speakers.empty()) corpus.selectSpeakers(req.speakers);
        const ClipSplit split = ClipSplit::make(corpus, req.split.active() ? req.split : SplitSpec::fraction(0.5));
        std::vector<Profile> profiles = req.profiles;
        if (profiles.empty())
            for (const Speaker& s : corpus.speakers()) profiles.push_back({s.name, {s.name}});
        CompareOptions options = req.options;
        const SizeModel size = SizeModel::fromModel(req.model->info());
        options.targetsMb.clear();
        for (double b : req.budgetBits) options.targetsMb.push_back(targetMbForAverageBits(size, b));
        if (shared->stop.load()) throw Cancelled();
        return std::make_shared<const PersonalizationResult>(
            engine().comparePersonalization(*req.model, corpus, split, profiles, options, progress));
    };
    runInBackground<std::shared_ptr<const PersonalizationResult>>(
        pool_, this, std::move(work), [this](const JobOutcome<std::shared_ptr<const PersonalizationResult>>& out) {
            ticker_.stop();
            running_ = false;
            if (out.value) emit finished(*out.value);
            else if (out.cancelled) emit cancelled();
            else emit failed(out.error.isEmpty() ? tr("the comparison stopped without a result") : out.error);
        });
    emit started(tr("Comparing schemes on %1").arg(QFileInfo(request.audioFolder).fileName()));
    return true;
}

void PersonalizationController::cancel() {
    if (running_ && shared_) shared_->stop.store(true);
}

void PersonalizationController::poll() {
    if (!running_ || !shared_) return;
    double fraction = 0.0;
    QString detail;
    {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        fraction = shared_->fraction;
        detail = shared_->detail;
    }
    const double elapsed = clock_.elapsed() / 1000.0;
    const double left = fraction > 0.02 ? elapsed * (1.0 - fraction) / fraction : -1.0;
    emit progress(fraction, detail, left);
}

}  // namespace qs::gui
