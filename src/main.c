/*
 * main.c - the command line: parse arguments into a job, run it, exit.
 *
 * Nothing here touches a library or a file; every option is validated
 * before anything is opened, so a usage error (64) changes nothing.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "job.h"
#include "res.h"
#include "timeutil.h"
#include "util.h"

static const char usage_text[] =
	"usage: ddmreport COMMAND [OPTIONS] [FILE|DIR...]\n"
	"\n"
	"Reports which Apple devices are past their DDM OS-update deadline,\n"
	"stuck, failing or silent, from MDM status exports kept in SQLite.\n"
	"\n"
	"commands:\n"
	"  run [FILE...]        ingest the inputs, then write every report "
	"(cron)\n"
	"  ingest FILE...       only ingest\n"
	"  report [NAME]        only write reports (all, or one by name)\n"
	"  list                 list the reports and their titles\n"
	"  check                check queries and templates against the "
	"schema,\n"
	"                       and the input formats\n"
	"\n"
	"options:\n"
	"  --db FILE            database (default ./ddmreport.db, env "
	"DDMREPORT_DB)\n"
	"  --out DIR            output directory (default ./reports); {date} "
	"is\n"
	"                       replaced by the as-of date; '-' writes one "
	"report\n"
	"                       as CSV to stdout\n"
	"  --as-of TIME         evaluate as of this ISO 8601 time (default "
	"now;\n"
	"                       without a zone it is UTC, whatever TZ)\n"
	"  --stuck-after DUR    Downloading this long is stuck (default 24h)\n"
	"  --stale-after DUR    silent this long is not reporting (default "
	"7d)\n"
	"  --due-within DUR     deadlines this close are due soon (default "
	"24h)\n"
	"  --default-tz ZONE    IANA zone for devices without one\n"
	"  --source-tz ZONE     zone of input times written without one "
	"(default UTC)\n"
	"  --org NAME           organisation named on the Summary and in the\n"
	"                       workbook's properties\n"
	"  --display-tz ZONE    the Summary also shows the as-of time in ZONE\n"
	"  --fail-on LIST       exit 1 when any of these reports has rows\n"
	"                       (comma-separated report names; run and\n"
	"                       report only, counted also when report NAME\n"
	"                       writes another)\n"
	"  --strict             reject a whole file when any row is bad (exit "
	"65)\n"
	"  --max-rejected PCT   exit 65 when a file has more than PCT% of "
	"its\n"
	"                       rows rejected (default 1%; the good rows are\n"
	"                       still stored and the reports written)\n"
	"  --csv-profile P      excel (neutralise formulas; default for files) "
	"or\n"
	"                       raw (exact data; default for --out -)\n"
	"  --wait SECONDS       wait this long for another run's lock (default "
	"0)\n"
	"  --queries DIR        use queries from DIR over the built-in ones\n"
	"  --templates DIR      use templates from DIR over the built-in ones\n"
	"  --redact             personal data (names, users, raw rows) in the\n"
	"                       reports become stable pseudonyms (anon-...)\n"
	"  --quiet              no warnings but those that change an answer\n"
	"                       in silence (an export of no device, a group\n"
	"                       not in UTF-8, a --fail-on report empty for\n"
	"                       want of data, no new input, a database\n"
	"                       copied before its upgrade); the line that\n"
	"                       explains a non-zero exit is always printed\n"
	"  --config FILE        read options from FILE (env "
	"DDMREPORT_CONFIG):\n"
	"                       'name = value' lines, name a long option\n"
	"                       ('redact = yes'), 'input = PATH' adds an "
	"input;\n"
	"                       the command line overrides it\n"
	"  --help, --version\n"
	"\n"
	"durations: 90m, 24h, 7d, 1d12h, 2w.\n"
	"\n"
	"exit codes: 0 done; 1 findings in a --fail-on report; 64 usage;\n"
	"  65 bad input data (a file refused, or more than --max-rejected of\n"
	"  its rows rejected; reports still written); 66 input missing;\n"
	"  70 internal error; 73 cannot create output; 74 I/O error, full "
	"disk,\n"
	"  damaged database, or a database this build must not use (newer\n"
	"  schema, another program's); 75 another run holds the lock.\n";

enum {
	OPT_DB = 256,
	OPT_OUT,
	OPT_AS_OF,
	OPT_STUCK,
	OPT_STALE,
	OPT_DUE,
	OPT_DEFAULT_TZ,
	OPT_SOURCE_TZ,
	OPT_FAIL_ON,
	OPT_STRICT,
	OPT_MAX_REJECTED,
	OPT_PROFILE,
	OPT_WAIT,
	OPT_QUERIES,
	OPT_TEMPLATES,
	OPT_QUIET,
	OPT_REDACT,
	OPT_CONFIG,
	OPT_ORG,
	OPT_DISPLAY_TZ,
	OPT_HELP,
	OPT_VERSION
};

static const struct option long_opts[] = {
	{"db", required_argument, NULL, OPT_DB},
	{"out", required_argument, NULL, OPT_OUT},
	{"as-of", required_argument, NULL, OPT_AS_OF},
	{"stuck-after", required_argument, NULL, OPT_STUCK},
	{"stale-after", required_argument, NULL, OPT_STALE},
	{"due-within", required_argument, NULL, OPT_DUE},
	{"default-tz", required_argument, NULL, OPT_DEFAULT_TZ},
	{"source-tz", required_argument, NULL, OPT_SOURCE_TZ},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"strict", no_argument, NULL, OPT_STRICT},
	{"max-rejected", required_argument, NULL, OPT_MAX_REJECTED},
	{"csv-profile", required_argument, NULL, OPT_PROFILE},
	{"wait", required_argument, NULL, OPT_WAIT},
	{"queries", required_argument, NULL, OPT_QUERIES},
	{"templates", required_argument, NULL, OPT_TEMPLATES},
	{"quiet", no_argument, NULL, OPT_QUIET},
	{"redact", no_argument, NULL, OPT_REDACT},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"org", required_argument, NULL, OPT_ORG},
	{"display-tz", required_argument, NULL, OPT_DISPLAY_TZ},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/* "FILE:LINE" of the config line being applied, "" on the command line. */
static char cfg_where[512];
/* cfg_where of the config's fail-on line: its names are checked later. */
static char fail_on_where[512];

/* Prints a usage error (arguments are escaped by the caller's diag_q)
 * and returns exit code 64. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
							     ...)
{
	va_list ap;

	fprintf(stderr, "ddmreport: error: ");
	if (*cfg_where)
		fprintf(stderr, "%s: ", cfg_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ddmreport --help'.\n");
	return diag_exit_code(DDM_ERR_USAGE);
}

static bool parse_dur(const char *s, int64_t *out)
{
	return duration_parse(s, out) && *out > 0;
}

/* Expands every "{date}" in the output path with the as-of date in the
 * server's own zone (tz_server_day: the date `date +%F` prints). */
static char *expand_out(const char *out, int64_t as_of)
{
	buf b = {0};
	char iso[11], *r;
	int64_t start, end;

	tz_server_day(as_of, iso, &start, &end);
	for (const char *p; (p = strstr(out, "{date}")) != NULL; out = p + 6) {
		buf_append(&b, out, (size_t)(p - out));
		buf_puts(&b, iso);
	}
	buf_puts(&b, out);
	r = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return r;
}

static int finish(int code)
{
	/* A full disk or a closed pipe on stdout is an error, not success. */
	if (fclose(stdout) != 0 && code == 0) {
		fprintf(stderr, "ddmreport: error: stdout: cannot write: %s\n",
			strerror(errno));
		return diag_exit_code(DDM_ERR_IO);
	}
	return code;
}

/* Parse state beyond job_opts. */
typedef struct cli {
	bool profile_set;
	bool as_of_set;
	const char *cmd;
} cli;

/*
 * Applies one option.  Returns -1 to go on, or the exit code to stop with
 * (usage errors, --help, --version).
 */
static int apply_option(int c, const char *arg, job_opts *o, cli *st)
{
	bool had_zone;
	char *end;
	long w;

	switch (c) {
	case OPT_DB:
		if (!*arg)
			return usage_error("--db: empty path");
		o->db = arg;
		return -1;
	case OPT_OUT:
		if (!*arg)
			return usage_error("--out: empty path");
		o->out = arg;
		return -1;
	case OPT_AS_OF:
		if (!ts_parse(arg, strlen(arg), &o->as_of, &had_zone))
			return usage_error("--as-of: not an ISO 8601 time: %s",
					   diag_q(arg));
		st->as_of_set = true;
		return -1;
	case OPT_STUCK:
		if (!parse_dur(arg, &o->stuck_after))
			return usage_error("--stuck-after: not a duration: %s",
					   diag_q(arg));
		return -1;
	case OPT_STALE:
		if (!parse_dur(arg, &o->stale_after))
			return usage_error("--stale-after: not a duration: %s",
					   diag_q(arg));
		return -1;
	case OPT_DUE:
		if (!parse_dur(arg, &o->due_within))
			return usage_error("--due-within: not a duration: %s",
					   diag_q(arg));
		return -1;
	case OPT_DEFAULT_TZ:
	case OPT_SOURCE_TZ:
		if (!tz_is_valid(arg))
			return usage_error(
				c == OPT_DEFAULT_TZ
					? "--default-tz: unknown time zone: %s"
					: "--source-tz: unknown time zone: %s",
				diag_q(arg));
		if (c == OPT_DEFAULT_TZ)
			o->default_tz = arg;
		else
			o->source_tz = arg;
		return -1;
	case OPT_FAIL_ON:
		o->fail_on = arg;
		snprintf(fail_on_where, sizeof fail_on_where, "%s", cfg_where);
		o->fail_on_where = *fail_on_where ? fail_on_where : NULL;
		return -1;
	case OPT_ORG:
		o->org = *arg ? arg : NULL;
		return -1;
	case OPT_DISPLAY_TZ:
		if (!tz_is_valid(arg))
			return usage_error(
				"--display-tz: unknown time zone: %s",
				diag_q(arg));
		o->display_tz = arg;
		return -1;
	case OPT_STRICT:
		o->strict = true;
		return -1;
	case OPT_MAX_REJECTED: {
		double pct = strtod(arg, &end);

		if (end != arg && *end == '%')
			end++;
		if (end == arg || *end || !(pct >= 0 && pct <= 100))
			return usage_error("--max-rejected: not a percentage "
					   "from 0%% to 100%%: %s",
					   diag_q(arg));
		o->max_rejected = pct;
		return -1;
	}
	case OPT_PROFILE:
		if (strcmp(arg, "excel") == 0)
			o->profile = CSV_PROFILE_EXCEL;
		else if (strcmp(arg, "raw") == 0)
			o->profile = CSV_PROFILE_RAW;
		else
			return usage_error(
				"--csv-profile: expected excel or raw, "
				"not %s",
				diag_q(arg));
		st->profile_set = true;
		return -1;
	case OPT_WAIT:
		w = strtol(arg, &end, 10);
		if (!*arg || *end || w < 0 || w > 86400)
			return usage_error(
				"--wait: not a number of seconds: %s",
				diag_q(arg));
		o->wait_seconds = (int)w;
		return -1;
	case OPT_QUERIES:
	case OPT_TEMPLATES:
		if (res_set_dir(c == OPT_QUERIES ? "queries" : "templates",
				arg) != DDM_OK)
			return diag_exit_code(DDM_ERR_USAGE);
		return -1;
	case OPT_QUIET:
		diag_set_quiet(true);
		return -1;
	case OPT_REDACT:
		o->redact = true;
		return -1;
	case OPT_CONFIG: /* read before everything else (load_config) */
		return -1;
	case 'h':
	case OPT_HELP:
		fputs(usage_text, stdout);
		return finish(0);
	case 'V':
	case OPT_VERSION:
		puts("ddmreport " DDMREPORT_VERSION);
		return finish(0);
	default: /* getopt's '?' and ':' are reported by the caller */
		return usage_error("unrecognised option");
	}
}

/* The usage error for the argument getopt_long just refused (opterr is 0:
 * its own messages would bypass our format and escaping). */
static int bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return usage_error("option %s needs a value", diag_q(arg));
	if (strncmp(arg, "--", 2) == 0) {
		const struct option *opt;
		size_t n = strcspn(arg + 2, "=");

		for (opt = long_opts; opt->name; opt++)
			if (strlen(opt->name) == n &&
			    strncmp(opt->name, arg + 2, n) == 0)
				break;
		if (opt->name && opt->has_arg == required_argument &&
		    !arg[2 + n])
			return usage_error("option --%s needs a value",
					   opt->name);
		if (opt->name && opt->has_arg == no_argument && arg[2 + n])
			return usage_error("option --%s takes no value",
					   opt->name);
	}
	return usage_error("unknown option: %s", diag_q(arg));
}

/*
 * Applies the config file at path: "name = value" lines where name is a
 * long option without its dashes; a flag takes yes/no; "input = PATH"
 * adds an input (used when the command line names none).  Blank lines
 * and lines starting with '#' are skipped.  The file's text is kept in
 * *keep (values point into it).  Returns -1 to go on or an exit code.
 */
static int load_config(const char *path, job_opts *o, cli *st, buf *keep,
		       char ***inputs, int *ninputs)
{
	FILE *f = fopen(path, "r");
	char chunk[4096];
	size_t n;
	int lineno = 0, rc = -1;
	char *line, *next;

	if (!f) {
		fprintf(stderr,
			"ddmreport: error: %s: cannot read config: %s\n",
			diag_q(path), strerror(errno));
		return diag_exit_code(DDM_ERR_NOINPUT);
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 &&
	       keep->len < 1024 * 1024)
		buf_append(keep, chunk, n);
	/* A folder opens but does not read (EISDIR): that is no config,
	 * not an empty one whose defaults a run would then use. */
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		fprintf(stderr,
			"ddmreport: error: %s: cannot read config: %s\n",
			diag_q(path), strerror(e));
		return diag_exit_code(DDM_ERR_NOINPUT);
	}
	fclose(f);
	buf_cstr(keep);
	for (line = keep->data; rc < 0 && line; line = next) {
		char *eq, *key, *value;
		const struct option *opt;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		/* A '#' after a space or tab starts a comment too: `db = x.db
		 * # history` must not name a new, empty database. */
		for (char *h = strchr(line, '#'); h; h = strchr(h + 1, '#'))
			if (h > line && (h[-1] == ' ' || h[-1] == '\t')) {
				*h = '\0';
				break;
			}
		line = str_trim(line);
		if (!*line || *line == '#')
			continue;
		snprintf(cfg_where, sizeof cfg_where, "%s:%d", diag_q(path),
			 lineno);
		diag_set_context(cfg_where); /* errors of other modules too */
		eq = strchr(line, '=');
		if (!eq) {
			rc = usage_error("expected 'name = value'");
			break;
		}
		*eq = '\0';
		key = str_trim(line);
		value = str_trim(eq + 1);
		if (strcmp(key, "input") == 0) {
			*inputs = xrealloc(*inputs, (size_t)(*ninputs + 1) *
							    sizeof **inputs);
			(*inputs)[(*ninputs)++] = value;
			continue;
		}
		for (opt = long_opts; opt->name; opt++)
			if (strcmp(opt->name, key) == 0)
				break;
		if (!opt->name || opt->val == OPT_CONFIG ||
		    opt->val == OPT_HELP || opt->val == OPT_VERSION) {
			rc = usage_error("unknown setting: %s", diag_q(key));
			break;
		}
		if (opt->has_arg == no_argument) {
			if (str_ieq(value, "yes") || str_ieq(value, "true") ||
			    strcmp(value, "1") == 0)
				rc = apply_option(opt->val, NULL, o, st);
			else if (!(str_ieq(value, "no") ||
				   str_ieq(value, "false") ||
				   strcmp(value, "0") == 0))
				rc = usage_error(
					"%s: expected yes or no, not %s", key,
					diag_q(value));
		} else {
			rc = apply_option(opt->val, value, o, st);
		}
	}
	cfg_where[0] = '\0';
	diag_set_context(NULL);
	return rc;
}

/* The --config argument (or DDMREPORT_CONFIG), found before the options
 * are parsed so that the command line overrides the file. */
static const char *config_path(int argc, char **argv)
{
	const char *env = getenv("DDMREPORT_CONFIG");
	const char *path = env && *env ? env : NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	return path;
}

static const struct {
	const char *name;
	job_cmd cmd;
} commands[] = {
	{"run", CMD_RUN},   {"ingest", CMD_INGEST}, {"report", CMD_REPORT},
	{"list", CMD_LIST}, {"check", CMD_CHECK},
};

/* Checks the combination of command, files and options. */
static int validate(job_opts *o, const cli *st)
{
	if (!st->cmd)
		return usage_error("no command given");
	if (o->cmd == CMD_REPORT && o->ninputs > 1)
		return usage_error("report takes at most one report name");
	if (o->cmd == CMD_REPORT && o->ninputs == 1) {
		o->report = o->inputs[0];
		o->ninputs = 0;
	}
	if ((o->cmd == CMD_LIST || o->cmd == CMD_CHECK) && o->ninputs)
		return usage_error("%s takes no files", st->cmd);
	if (o->cmd == CMD_INGEST && o->ninputs == 0)
		return usage_error("ingest needs at least one file");
	/* ingest, list and check write no report, so a --fail-on on their
	 * command line could only ever exit 0: cron would take `ingest
	 * --fail-on past-deadline` for a fleet with none.  (A config's
	 * fail-on, shared by the ingest and the report jobs, is left to the
	 * commands that report.) */
	if (o->fail_on && *o->fail_on && !o->fail_on_where &&
	    o->cmd != CMD_RUN && o->cmd != CMD_REPORT)
		return usage_error("--fail-on needs reports: use it with run "
				   "or report, not %s",
				   st->cmd);
	if (strcmp(o->out, "-") == 0 && o->cmd != CMD_REPORT)
		return usage_error("--out - writes one report: use 'ddmreport "
				   "report NAME --out -'");
	if (strcmp(o->out, "-") == 0 && !st->profile_set)
		o->profile = CSV_PROFILE_RAW;
	return -1;
}

/*
 * A standard stream started closed (`>&-`, a launcher that closes them)
 * gets /dev/null opened the wrong way round in its place: the next file
 * opened would otherwise be fd 0, 1 or 2, and the CSV meant for stdout
 * (or the messages for stderr) would go into it, the lock file first.
 * Writing to it still fails (EBADF), so a closed stdout is still 74.
 */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
			int got = open("/dev/null",
				       fd == 0 ? O_WRONLY : O_RDONLY);

			if (got >= 0 && got != fd)
				close(got); /* a lower one was free: taken */
		}
}

int main(int argc, char **argv)
{
	job_opts o = {0};
	cli st = {0};
	const char *env_db = getenv("DDMREPORT_DB");
	buf cmdline = {0};
	buf cfg_text = {0}; /* the config file; option values point into it */
	char **cfg_inputs = NULL; /* "input =" lines of the config */
	int cfg_ninputs = 0;
	const char *cfg;
	char *out;
	ddm_err err;
	int c, rc;

	hold_std_fds();
	o.db = env_db && *env_db ? env_db : "./ddmreport.db";
	o.out = "./reports";
	o.stuck_after = 24 * 3600;
	o.stale_after = 7 * 86400;
	o.due_within = 24 * 3600;
	o.profile = CSV_PROFILE_EXCEL;
	o.max_rejected = 1.0;
	o.inputs = xcalloc((size_t)argc, sizeof *o.inputs);
	for (int i = 0; i < argc; i++) {
		if (i)
			buf_putc(&cmdline, ' ');
		buf_puts(&cmdline, argv[i]);
	}
	o.command_line = buf_cstr(&cmdline);
	if ((cfg = config_path(argc, argv)) != NULL) {
		o.config_path = cfg;
		rc = load_config(cfg, &o, &st, &cfg_text, &cfg_inputs,
				 &cfg_ninputs);
		if (rc >= 0)
			goto out_free;
	}
	/* "-": options and operands in any order; operands come back as 1.
	 * ":" and opterr = 0: getopt reports nothing itself. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "-:hV", long_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			rc = bad_option(c, argv);
			goto out_free;
		}
		if (c != 1) {
			rc = apply_option(c, optarg, &o, &st);
			if (rc >= 0)
				goto out_free;
			continue;
		}
		if (st.cmd) {
			o.inputs[o.ninputs++] = optarg;
			continue;
		}
		st.cmd = optarg;
		{
			size_t i;

			for (i = 0; i < sizeof commands / sizeof commands[0];
			     i++)
				if (strcmp(commands[i].name, optarg) == 0)
					break;
			if (i == sizeof commands / sizeof commands[0]) {
				rc = usage_error("unknown command: %s",
						 diag_q(optarg));
				goto out_free;
			}
			o.cmd = commands[i].cmd;
		}
	}
	for (; optind < argc; optind++) /* after "--" */
		o.inputs[o.ninputs++] = argv[optind];
	if (o.ninputs == 0 && cfg_ninputs &&
	    (o.cmd == CMD_RUN || o.cmd == CMD_INGEST)) {
		free(o.inputs);
		o.inputs = cfg_inputs;
		o.ninputs = cfg_ninputs;
		cfg_inputs = NULL;
	}
	rc = validate(&o, &st);
	if (rc >= 0)
		goto out_free;
	if (!st.as_of_set)
		o.as_of = (int64_t)time(NULL);
	out = expand_out(o.out, o.as_of);
	o.out_pattern = o.out;
	o.out = out;
	err = job_run(&o);
	/* --quiet or not, a non-zero exit comes with a line that says why. */
	if (err != DDM_OK && !diag_explained())
		diag_error(err, NULL, "%s", diag_strerror(err));
	free(out);
	free(o.inputs);
	free(cfg_inputs);
	buf_free(&cfg_text);
	buf_free(&cmdline);
	res_free_all();
	return finish(diag_exit_code(err));

out_free: /* --help, --version and usage errors: nothing was opened */
	free(o.inputs);
	free(cfg_inputs);
	buf_free(&cfg_text);
	buf_free(&cmdline);
	return rc;
}
