// labels: e2e slow
// links: qs_base
// The Debian package, built with CPack from this build folder: it holds the programs, their
// libraries (the engine included, in /usr/lib/quantscope), the desktop entry, the icon, the manual
// pages, the bash completion and the demo; its Depends names the package of every shared library the
// programs and libraries link (each NEEDED entry resolved with ldconfig and dpkg -S); and unpacked into
// a temporary root with dpkg -x, with LD_LIBRARY_PATH unset, the installed quantscope-cli reports its
// version and analyses the installed demo, loading its libraries from that root (the run path).
#include <QtTest>

#include <algorithm>

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include "core/base/json_io.h"
#include "core/base/version.h"
#include "tests/support/cli_process.h"

namespace {

const QString kBuild = QDir(QFileInfo(QStringLiteral(QS_CLI)).dir().filePath(QStringLiteral(".."))).canonicalPath();

QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

qs::test::CliRun run(const QString& program, const QStringList& args, const QStringList& env = {}, int timeoutMs = 600000) {
    return qs::test::runProgram(program, args, env, timeoutMs);
}

// soname -> path, for this machine's architecture, from the dynamic loader's cache.
QMap<QString, QString> loaderCache() {
    QMap<QString, QString> paths;
    static const QRegularExpression entry(QStringLiteral("^\\s*(\\S+) \\(([^)]*)\\) => (\\S+)$"));
    for (const QString& line : lines(run(QStringLiteral("/sbin/ldconfig"), {"-p"}).out)) {
        const QRegularExpressionMatch m = entry.match(line);
        if (m.hasMatch() && m.captured(2).contains("x86-64") && !paths.contains(m.captured(1))) paths[m.captured(1)] = m.captured(3);
    }
    return paths;
}

// The Debian package that installed path (merged /usr: tried as given, resolved, and under /usr or not).
QString owningPackage(const QString& path) {
    QStringList candidates = {path, QFileInfo(path).canonicalFilePath()};
    for (const QString& p : QStringList(candidates)) {
        if (p.startsWith("/usr/lib/")) candidates << p.mid(4);
        else if (p.startsWith("/lib/")) candidates << "/usr" + p;
    }
    for (const QString& p : candidates) {
        if (p.isEmpty()) continue;
        const qs::test::CliRun r = run(QStringLiteral("dpkg"), {"-S", p});
        if (r.exitCode == 0 && !r.out.isEmpty()) return r.out.section(':', 0, 0).trimmed();
    }
    return {};
}

}  // namespace

class TestPackage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        for (const char* tool : {"cpack", "dpkg-deb", "dpkg", "readelf"})
            if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
                QSKIP(qPrintable(QStringLiteral("%1 is not installed").arg(tool)));
        QVERIFY(dir_.isValid());
        // CPack installs this build folder's install rules (building what is out of date first).
        const qs::test::CliRun r = run(QStringLiteral("cpack"), {"-G", "DEB", "--config", kBuild + "/CPackConfig.cmake", "-B",
                                                                  dir_.filePath("package")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out.right(3000) + r.err.right(3000)));
        const QStringList debs = QDir(dir_.filePath("package")).entryList({"*.deb"}, QDir::Files);
        QCOMPARE(debs.size(), 1);
        deb_ = dir_.filePath("package/" + debs.front());
        QVERIFY2(deb_.endsWith(QStringLiteral("quantscope_%1_amd64.deb").arg(QString::fromStdString(qs::version()))), qPrintable(deb_));
        root_ = dir_.filePath("root");
        const qs::test::CliRun x = run(QStringLiteral("dpkg"), {"-x", deb_, root_});
        QVERIFY2(x.exitCode == 0, qPrintable(x.err));
    }

    void control() {
        const qs::test::CliRun r = run(QStringLiteral("dpkg-deb"), {"-I", deb_});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(" Package: quantscope\n"), qPrintable(r.out));
        QVERIFY(r.out.contains(" Version: " + QString::fromStdString(qs::version()) + "\n"));
        QVERIFY(r.out.contains(" Architecture: amd64\n"));
    }

    void contents() {
        const qs::test::CliRun r = run(QStringLiteral("dpkg-deb"), {"-c", deb_});
        QCOMPARE(r.exitCode, 0);
        QStringList files;
        for (const QString& line : lines(r.out)) files << line.section(QStringLiteral(" ./"), 1).section(QStringLiteral(" -> "), 0, 0);
        QStringList expected = {"usr/bin/quantscope-cli",
                                "usr/bin/quantscope",
                                "usr/share/applications/quantscope.desktop",
                                "usr/share/icons/hicolor/scalable/apps/quantscope.svg",
                                "usr/share/man/man1/quantscope-cli.1.gz",
                                "usr/share/man/man1/quantscope.1.gz",
                                "usr/share/bash-completion/completions/quantscope-cli",
                                "usr/share/quantscope/demo/model.pt",
                                "usr/share/quantscope/demo/README.md"};
        // Every library of the build (the engine included) goes to /usr/lib/quantscope.
        for (const QString& lib : QDir(kBuild + "/lib").entryList({"libqs_*.so"}, QDir::Files)) expected << "usr/lib/quantscope/" + lib;
        QVERIFY(expected.contains("usr/lib/quantscope/libqs_engine.so"));
        for (const QString& f : expected) QVERIFY2(files.contains(f), qPrintable(f + " is not in the package"));
        int flac = 0;
        for (const QString& f : files) flac += f.startsWith("usr/share/quantscope/demo/audio/") && f.endsWith(".flac");
        QCOMPARE(flac, 300);
    }

    // Every NEEDED entry of every program and library is the package's own or comes from a package
    // that Depends names.
    void dependsCoversEverySharedLibrary() {
        const QString depends = run(QStringLiteral("dpkg-deb"), {"-f", deb_, "Depends"}).out.trimmed();
        QVERIFY(!depends.isEmpty());
        QSet<QString> named;
        for (const QString& alternative : depends.split(QRegularExpression(QStringLiteral("[,|]"))))
            named << alternative.trimmed().section(' ', 0, 0).section(':', 0, 0);
        const QMap<QString, QString> cache = loaderCache();
        QStringList elves = QDir(root_ + "/usr/bin").entryList(QDir::Files);
        for (QString& e : elves) e = root_ + "/usr/bin/" + e;
        for (const QString& lib : QDir(root_ + "/usr/lib/quantscope").entryList({"*.so*"}, QDir::Files))
            elves << root_ + "/usr/lib/quantscope/" + lib;
        QVERIFY(elves.size() >= 10);
        QSet<QString> checked;
        static const QRegularExpression needed(QStringLiteral("\\(NEEDED\\)\\s+Shared library: \\[([^\\]]+)\\]"));
        for (const QString& elf : elves) {
            const qs::test::CliRun r = run(QStringLiteral("readelf"), {"-d", "-W", elf});
            QVERIFY2(r.exitCode == 0, qPrintable(elf));
            for (auto it = needed.globalMatch(r.out); it.hasNext();) {
                const QString soname = it.next().captured(1);
                if (QFileInfo::exists(root_ + "/usr/lib/quantscope/" + soname) || checked.contains(soname)) continue;
                checked << soname;
                QVERIFY2(cache.contains(soname), qPrintable(soname + " (needed by " + elf + ") is not installed here"));
                const QString package = owningPackage(cache[soname]);
                QVERIFY2(!package.isEmpty(), qPrintable("no package owns " + cache[soname]));
                QVERIFY2(named.contains(package), qPrintable(QStringLiteral("%1 needs %2 from %3, which Depends does not name: %4")
                                                                 .arg(QFileInfo(elf).fileName(), soname, package, depends)));
            }
        }
        const QStringList sonames = checked.values();
        QVERIFY2(std::any_of(sonames.begin(), sonames.end(), [](const QString& s) { return s.startsWith("libtorch_cpu.so"); }),
                 qPrintable(sonames.join(' ')));
        QVERIFY(checked.contains("libQt6Widgets.so.6"));
    }

    // Installed into a temporary root, the programs run with nothing but their run path to find
    // their libraries.
    void installedProgramsRun() {
        const QStringList clean = {"-LD_LIBRARY_PATH", "-DISPLAY", "-WAYLAND_DISPLAY", "-QT_QPA_PLATFORM"};
        const QString cli = root_ + "/usr/bin/quantscope-cli";
        qs::test::CliRun r = run(cli, {"--version"}, clean);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("quantscope-cli %1\n").arg(QString::fromStdString(qs::versionText())));
        r = run(root_ + "/usr/bin/quantscope", {"--version"}, clean);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("quantscope %1\n").arg(QString::fromStdString(qs::versionText())));

        const QString demo = root_ + "/usr/share/quantscope/demo";
        const QString out = dir_.filePath("analysis.json");
        r = run(cli, {"analyze", "--model", demo + "/model.pt", "--audio", demo + "/audio", "--max-clips", "1", "--out", out},
                clean + QStringList{"LD_DEBUG=libs"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err.right(2000)));
        // Each quantscope library was initialised from the unpacked root, none from the build.
        static const QRegularExpression init(QStringLiteral("calling init: (\\S*libqs_\\S+)"));
        QStringList inits;
        for (auto it = init.globalMatch(r.err); it.hasNext();) inits << it.next().captured(1);
        QVERIFY2(inits.size() >= 5, qPrintable(inits.join(' ')));
        for (const QString& path : inits) QVERIFY2(path.startsWith(root_ + "/usr/bin/../lib/quantscope/") || path.startsWith(root_ + "/usr/lib/quantscope/"), qPrintable(path));
        QVERIFY2(inits.join(' ').contains("libqs_engine.so"), qPrintable(inits.join(' ')));
        const nlohmann::json analysis = qs::readJson(out.toStdString());
        QCOMPARE(analysis.at("speakers").size(), std::size_t(30));
        QCOMPARE(analysis.at("layers").size(), std::size_t(34));
        QCOMPARE(analysis.at("written_by").at("version").get<std::string>(), qs::version());
    }

private:
    QTemporaryDir dir_;
    QString deb_, root_;
};

QTEST_GUILESS_MAIN(TestPackage)
#include "test_package.moc"
