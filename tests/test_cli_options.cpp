// labels: e2e
// links: qs_base
// quantscope-cli's surface beyond its commands: --version; the usage text against the option tables
// the parser uses (every command's options and every value list, both ways), so that --help and the
// manual page made from it cannot drift from what is accepted; shell completion answered from those
// tables (`--complete`, and the bash script that calls it); and the manual pages help2man made.
#include <QtTest>

#include <QDir>
#include <QFileInfo>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>

#include "core/base/version.h"
#include "tests/support/cli_process.h"

namespace {

const QString kCli = QStringLiteral(QS_CLI);
const QString kSource = QDir(QStringLiteral(QS_FIXTURES_DIR "/../..")).canonicalPath();

QStringList lines(const QString& text) { return text.split('\n', Qt::SkipEmptyParts); }

QStringList complete(const QStringList& words) {
    const qs::test::CliRun r = qs::test::runProgram(kCli, QStringList{"--complete"} + words);
    return r.exitCode == 0 ? lines(r.out) : QStringList{"<exit " + QString::number(r.exitCode) + ">"};
}

// The usage text of one command: its lines under "Commands:" joined.
QMap<QString, QString> usageByCommand(QStringList* order) {
    const QString help = qs::test::runProgram(kCli, {"--help"}).out;
    QMap<QString, QString> usage;
    QString current;
    bool inCommands = false;
    static const QRegularExpression start(QStringLiteral("^  ([a-z][a-z-]*)\\s+(.*)$"));
    for (const QString& line : help.split('\n')) {
        if (line == QLatin1String("Commands:")) {
            inCommands = true;
            continue;
        }
        if (!inCommands) continue;
        if (line.trimmed().isEmpty()) break;
        const QRegularExpressionMatch m = start.match(line);
        if (m.hasMatch()) {
            current = m.captured(1);
            *order << current;
            usage[current] = m.captured(2);
        } else if (!current.isEmpty()) {
            usage[current] += ' ' + line.trimmed();
        }
    }
    return usage;
}

QStringList optionsIn(const QString& text) {
    static const QRegularExpression option(QStringLiteral("--([a-z0-9][a-z0-9-]*)"));
    QStringList out;
    for (auto it = option.globalMatch(text); it.hasNext();) {
        const QString name = it.next().captured(1);
        if (!out.contains(name)) out << name;
    }
    out.sort();
    return out;
}

// "--metric median|mean|..." -> metric: [median, mean, ...] (lower-case words only: "DIR|Q.pt" is no list).
QMap<QString, QStringList> choicesIn(const QString& text) {
    static const QRegularExpression choice(QStringLiteral("--([a-z0-9-]+) ([a-z0-9_]+(?:\\|[a-z0-9_]+)+)(?=[\\]\\s]|$)"));
    QMap<QString, QStringList> out;
    for (auto it = choice.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        out[m.captured(1)] = m.captured(2).split('|');
    }
    return out;
}

QString gunzip(const QString& path) {
    QProcess p;
    p.start(QStringLiteral("gzip"), {QStringLiteral("-dc"), path});
    p.waitForFinished(20000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

}  // namespace

class TestCliOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void version() {
        const qs::test::CliRun r = qs::test::runProgram(kCli, {"--version"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, QStringLiteral("quantscope-cli %1\n").arg(QString::fromStdString(qs::versionText())));
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral(" \\((commit [0-9a-f]{12}(-dirty)?|unknown commit)\\)\\n$"))),
                 qPrintable(r.out));
    }

    void commandHelpIsTheUsage() {
        const qs::test::CliRun all = qs::test::runProgram(kCli, {"--help"});
        const qs::test::CliRun one = qs::test::runProgram(kCli, {"allocate", "--analysis", "a.json", "--help"});
        QCOMPARE(one.exitCode, 0);
        QCOMPARE(one.out, all.out);
        QVERIFY(all.out.startsWith("Usage: quantscope-cli <command> [options]\n"));
    }

    // Every command's options in --help are exactly those its table declares, and every value list
    // --help shows is the table's, in the same order; options without a list in --help have none.
    void usageMatchesTheOptionTables() {
        QStringList order;
        const QMap<QString, QString> usage = usageByCommand(&order);
        QStringList commands = complete({""});
        QCOMPARE(commands.mid(commands.size() - 2), (QStringList{"--help", "--version"}));
        commands = commands.mid(0, commands.size() - 2);
        QCOMPARE(order, commands);
        for (const QString& command : commands) {
            QStringList table;
            for (const QString& o : complete({command, "--"})) table << o.mid(2);
            table.sort();
            QCOMPARE(optionsIn(usage[command]), table);
            const QMap<QString, QStringList> shown = choicesIn(usage[command]);
            for (const QString& option : table) {
                const QStringList values = complete({command, "--" + option, ""});
                if (!values.isEmpty() && values.front().startsWith("--")) {  // a switch: options follow it
                    QVERIFY2(usage[command].contains(QRegularExpression("--" + option + "(\\]|\\s|$)")), qPrintable(option));
                    continue;
                }
                if (shown.contains(option)) {
                    QVERIFY2(values == shown[option], qPrintable(command + " --" + option + ": table " + values.join('|') +
                                                                 ", --help " + shown[option].join('|')));
                } else {
                    QVERIFY2(values.isEmpty(), qPrintable(command + " --" + option + " has values " + values.join('|') +
                                                          " that --help does not show"));
                }
            }
        }
    }

    void completion() {
        QCOMPARE(complete({"al"}), QStringList{"allocate"});
        QCOMPARE(complete({"--v"}), QStringList{"--version"});
        QCOMPARE(complete({"allocate", "--metric", "m"}), (QStringList{"median", "mean", "max"}));
        QCOMPARE(complete({"allocate", "--order", ""}), (QStringList{"descending", "ascending"}));
        QCOMPARE(complete({"export", "--weight-granularity", "t"}), QStringList{"tensor"});
        QCOMPARE(complete({"figures", "--format", ""}), (QStringList{"png", "pdf"}));
        // A value without a list (a file, a number): nothing, so the shell completes file names.
        QCOMPARE(complete({"allocate", "--analysis", ""}), QStringList{});
        QCOMPARE(complete({"nonsense", "--"}), QStringList{});
        // Options already given are not offered again; repeatable ones are.
        const QStringList analyze = complete({"analyze", "--speaker", "a", "--model", "m.pt", "--"});
        QVERIFY(analyze.contains("--speaker") && analyze.contains("--audio") && !analyze.contains("--model"));
        // After a switch comes an option, not its value.
        QCOMPARE(complete({"export", "--activation-groups-all", "--activation-c"}), QStringList{"--activation-calibration"});
        QCOMPARE(complete({"allocate", "--target-mb", "3", "--min"}), QStringList{"--min-bits"});
    }

    // The bash script asks the program; an empty answer falls back to file names (-o default).
    void bashCompletionScript() {
        const QString script = kSource + "/packaging/bash-completion/quantscope-cli";
        QVERIFY(QFileInfo::exists(script));
        const QString path = QFileInfo(kCli).absolutePath() + ':' + qgetenv("PATH");
        auto run = [&](const QString& words, int cword) {
            const QString code = QStringLiteral("source '%1'; COMP_WORDS=(%2); COMP_CWORD=%3; _quantscope_cli; "
                                                "printf '%s\\n' \"${COMPREPLY[@]}\"; complete -p quantscope-cli")
                                     .arg(script, words)
                                     .arg(cword);
            return qs::test::runProgram(QStringLiteral("bash"), {"-c", code}, {"PATH=" + path});
        };
        qs::test::CliRun r = run(QStringLiteral("quantscope-cli export --weight-calibration ''"), 3);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(lines(r.out), (QStringList{"mse", "cosine", "minmax", "adaround", "gptq",
                                             "complete -o default -F _quantscope_cli quantscope-cli"}));
        r = run(QStringLiteral("quantscope-cli fig"), 1);
        QCOMPARE(lines(r.out).first(), QStringLiteral("figures"));
        r = run(QStringLiteral("quantscope-cli allocate --analysis ''"), 3);
        QCOMPARE(lines(r.out), QStringList{"complete -o default -F _quantscope_cli quantscope-cli"});
    }

    // help2man's pages: made from --help, so every command and option is in them; the options the
    // hand-written examples use exist.
    void manualPages() {
        const QString dir = QFileInfo(kCli).dir().filePath(QStringLiteral("../man"));
        const QString cli = dir + "/quantscope-cli.1.gz";
        if (!QFileInfo::exists(cli)) QSKIP("no manual pages in the build: help2man is not installed (scripts/install-deps.sh)");
        const QString page = gunzip(cli);
        QVERIFY2(page.contains(".TH QUANTSCOPE-CLI \"1\""), qPrintable(page.left(300)));
        for (const QString& section : QStringList{"NAME", "SYNOPSIS", "DESCRIPTION", "EXAMPLES", "SEE ALSO"})
            QVERIFY2(page.contains(".SH " + section) || page.contains(".SH \"" + section + "\""), qPrintable(section));
        QStringList order;
        const QMap<QString, QString> usage = usageByCommand(&order);
        for (const QString& command : order) {
            QVERIFY2(page.contains(QString(command).replace("-", "\\-")), qPrintable(command));  // roff escapes '-'
            for (const QString& option : complete({command, "--"}))
                QVERIFY2(page.contains(QString(option).replace("-", "\\-")), qPrintable(command + ' ' + option));
        }
        // The examples: every option they give a command is in that command's table.
        static const QRegularExpression example(QStringLiteral("^quantscope\\\\-cli ([a-z]+) (.*)$"), QRegularExpression::MultilineOption);
        int examples = 0;
        for (auto it = example.globalMatch(page); it.hasNext(); ++examples) {
            const QRegularExpressionMatch m = it.next();
            const QStringList table = complete({m.captured(1), "--"});
            for (const QString& option : optionsIn(QString(m.captured(2)).replace("\\-", "-")))
                QVERIFY2(table.contains("--" + option), qPrintable(m.captured(1) + " --" + option));
        }
        QVERIFY(examples >= 4);
        const QString studio = dir + "/quantscope.1.gz";
        if (QFileInfo::exists(studio)) {
            const QString text = gunzip(studio);
            QVERIFY(text.contains(".TH QUANTSCOPE \"1\""));
            QVERIFY(text.contains("\\-\\-analysis") && text.contains("\\-\\-export\\-figures") && text.contains("QT_QPA_PLATFORM"));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliOptions)
#include "test_cli_options.moc"
