// labels: unit
// links: qs_allocation qs_export
// The version quantscope reports and records: CMake's project version with the git commit the build
// came from (generated at build time, so it matches the checkout's HEAD), and the `written_by`
// record in analysis.json, allocation.json and evaluation.json, plus report.csv's version columns.
// Files written without them (older versions) still load.
#include <QtTest>

#include <QDir>
#include <QProcess>
#include <QRegularExpression>

#include "core/allocation/allocation_io.h"
#include "core/base/version.h"
#include "core/evaluation/evaluation.h"
#include "core/export/export_report.h"
#include "core/stats/analysis.h"

namespace {

const QString kSource = QDir(QStringLiteral(QS_FIXTURES_DIR "/../..")).canonicalPath();

qs::Analysis smallAnalysis() {
    qs::Analysis a;
    a.model.path = "m.pt";
    a.model.totalParams = 40;
    a.speakers.push_back({"alice", 2, 2, 1.5});
    qs::LayerAnalysis l;
    l.info.name = "enc.0";
    l.info.kind = "linear";
    l.info.params = 32;
    l.stats["all"] = qs::StatsSummary{};
    l.stats["alice"] = qs::StatsSummary{};
    a.layers.push_back(l);
    a.model.layers.push_back(l.info);
    return a;
}

}  // namespace

class TestVersion : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void versionText() {
        QVERIFY(QRegularExpression(QStringLiteral("^\\d+\\.\\d+\\.\\d+$")).match(QString::fromStdString(qs::version())).hasMatch());
        const std::string commit = qs::versionCommit();
        if (commit.empty()) {
            QCOMPARE(qs::versionText(), qs::version() + " (unknown commit)");
        } else {
            QVERIFY2(QRegularExpression(QStringLiteral("^[0-9a-f]{12}(-dirty)?$")).match(QString::fromStdString(commit)).hasMatch(),
                     commit.c_str());
            QCOMPARE(qs::versionText(), qs::version() + " (commit " + commit + ")");
        }
    }

    // Built from this checkout: the commit is its HEAD (the build writes it every time).
    void commitIsTheCheckoutsHead() {
        QProcess git;
        git.start(QStringLiteral("git"), {QStringLiteral("-C"), kSource, QStringLiteral("rev-parse"), QStringLiteral("--short=12"),
                                          QStringLiteral("HEAD")});
        if (!git.waitForFinished(20000) || git.exitCode() != 0) QSKIP("the source tree is not a git checkout");
        const std::string head = QString::fromUtf8(git.readAllStandardOutput()).trimmed().toStdString();
        QCOMPARE(qs::versionCommit().substr(0, 12), head);
    }

    void writtenBy() {
        const nlohmann::json w = qs::writtenByJson();
        QCOMPARE(w.at("program").get<std::string>(), std::string("quantscope"));
        QCOMPARE(w.at("version").get<std::string>(), qs::version());
        if (qs::versionCommit().empty()) QVERIFY(w.at("commit").is_null());
        else QCOMPARE(w.at("commit").get<std::string>(), qs::versionCommit());
    }

    void analysisRecordsItAndOlderFilesLoad() {
        nlohmann::json j = qs::toJson(smallAnalysis());
        QCOMPARE(j.at("written_by"), qs::writtenByJson());
        j.erase("written_by");
        const qs::Analysis back = qs::analysisFromJson(j);
        QCOMPARE(back.layers.size(), std::size_t(1));
        QCOMPARE(qs::toJson(back).at("written_by"), qs::writtenByJson());
    }

    void allocationRecordsItAndOlderFilesLoad() {
        qs::Allocation a;
        a.targetMb = 1.0;
        a.sizeMb = 0.9;
        a.layers.push_back({"enc.0", 32, 0.5, 4, true});
        nlohmann::json j = qs::toJson(a);
        QCOMPARE(j.at("written_by"), qs::writtenByJson());
        j.erase("written_by");
        QCOMPARE(qs::allocationFromJson(j).layers.front().bits, 4);
    }

    void evaluationRecordsIt() {
        qs::Evaluation e;
        QCOMPARE(qs::toJson(e).at("written_by"), qs::writtenByJson());
    }

    void reportColumns() {
        const qs::ReportRow row = qs::versionFields();
        QCOMPARE(row.size(), std::size_t(2));
        QCOMPARE(row[0], std::make_pair(std::string("quantscope_version"), qs::version()));
        QCOMPARE(row[1], std::make_pair(std::string("quantscope_commit"), qs::versionCommit()));
    }
};

QTEST_GUILESS_MAIN(TestVersion)
#include "test_version.moc"
