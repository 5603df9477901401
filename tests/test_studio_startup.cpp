// labels: e2e gui
// links: qs_base
// The studio binary before it has a window: --version and --help print without a display (help2man
// runs them at build time); with no display and no QT_QPA_PLATFORM it says in one line what is wrong
// and how to run headless, and exits non-zero, instead of Qt's platform-plugin abort; a display that
// is set but cannot be reached gets the same one line.
#include <QtTest>

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include "core/base/version.h"
#include "tests/support/cli_process.h"

namespace {

const QString kStudio = QFileInfo(QStringLiteral(QS_CLI)).dir().filePath(QStringLiteral("quantscope"));
// The environment without a display or a platform plugin choice.
const QStringList kNoDisplay = {"-DISPLAY", "-WAYLAND_DISPLAY", "-QT_QPA_PLATFORM"};

QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

}  // namespace

class TestStudioStartup : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void versionWithoutDisplay() {
        const qs::test::CliRun r = qs::test::runProgram(kStudio, {"--version"}, kNoDisplay);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("quantscope %1\n").arg(QString::fromStdString(qs::versionText())));
    }

    void helpWithoutDisplay() {
        const qs::test::CliRun r = qs::test::runProgram(kStudio, {"--help"}, kNoDisplay);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith("Usage: ") && r.out.contains("--analysis <FILE>") && r.out.contains("--version"),
                 qPrintable(r.out));
    }

    void noDisplayIsOneLine_data() {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("plain") << QStringList{};
        QTest::newRow("with a model") << QStringList{"--model", QStringLiteral(QS_FIXTURES_DIR "/w2v2_traced.pt")};
    }
    void noDisplayIsOneLine() {
        QFETCH(QStringList, args);
        const qs::test::CliRun r = qs::test::runProgram(kStudio, args, kNoDisplay, 30000);
        QCOMPARE(r.exitCode, 1);  // not a crash (-1) or Qt's abort
        QCOMPARE(lines(r.err).size(), 1);
        QCOMPARE(r.err, QStringLiteral("quantscope: no display to open the studio on (DISPLAY and WAYLAND_DISPLAY are unset); "
                                       "run it headless with quantscope-cli, or with QT_QPA_PLATFORM=offscreen\n"));
        QVERIFY(r.out.isEmpty());
    }

    // DISPLAY names an X server that is not there: Qt's xcb plugin cannot connect and would abort.
    void unreachableDisplayIsOneLine() {
        QString display;
        for (int n = 4711; n < 4800 && display.isEmpty(); ++n)
            if (!QFileInfo::exists(QStringLiteral("/tmp/.X11-unix/X%1").arg(n))) display = QStringLiteral(":%1").arg(n);
        const qs::test::CliRun r =
            qs::test::runProgram(kStudio, {}, {"-WAYLAND_DISPLAY", "-QT_QPA_PLATFORM", "DISPLAY=" + display}, 30000);
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(lines(r.err).size(), 1);
        QVERIFY2(r.err.startsWith("quantscope: cannot open a window (") &&
                     r.err.endsWith("); run it headless with quantscope-cli, or with QT_QPA_PLATFORM=offscreen\n"),
                 qPrintable(r.err));
    }

    // Offscreen, the studio starts as before (here: shows a saved-less window and quits at once).
    void offscreenStillStarts() {
        QTemporaryDir dir;
        const QString shot = dir.filePath("shot.png");
        const qs::test::CliRun r = qs::test::runProgram(kStudio, {"--screenshot", shot, "--screenshot-delay", "200"},
                                                        {"-DISPLAY", "-WAYLAND_DISPLAY", "QT_QPA_PLATFORM=offscreen"}, 60000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(QFileInfo(shot).size() > 0);
    }
};

QTEST_GUILESS_MAIN(TestStudioStartup)
#include "test_studio_startup.moc"
