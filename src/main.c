/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c - vdeliver: command line, configuration, spool, the recipient
 * loop and the exit status.  The only caller of exit().
 *
 * Order matters for safety: the caller is vetted (set-uid rules) before
 * the configuration is read; every lookup happens before any privilege
 * is given up; the maps are closed (secrets wiped) before the switch to
 * the recipient's uid; and nothing is reported as delivered unless the
 * mailbox code said so.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include "address.h"
#include "conf.h"
#include "deliver.h"
#include "delivery.h"
#include "log.h"
#include "map.h"
#include "message.h"
#include "priv.h"
#include "resolve.h"
#include "status.h"

#define DEFAULT_CONFIG	SYSCONFDIR "/vdeliver/vdeliver.conf"
#define CONFIG_MAX	(4 * 1024 * 1024)

struct options {
	const char *config;
	const char *sender;	/* NULL = not given */
	const char *orig_rcpt;
	char	**overrides;
	int	noverrides;
	char	**rcpts;
	int	nrcpts;
	int	explain;
	int	verbose;
	int	custom;		/* -c or -o given */
};

static void __attribute__((noreturn))
fail(const struct dstatus *why)
{
	fprintf(stderr, "%s %s\n", why->dsn, why->text);
	log_verbose_flush();
	exit(why->ex);
}

static void __attribute__((noreturn))
usage(const char *problem)
{
	struct dstatus why;

	status_set(&why, "5.3.0", "%s; usage: vdeliver [-c config] "
	    "[-o name=value] [-f sender] [-a original_recipient] [-n] [-v] "
	    "-r recipient [-r recipient]... < message", problem);
	fail(&why);
}

static void
add_arg(char ***list, int *n, char *arg)
{
	char	**p;

	if ((p = reallocarray(*list, (size_t)*n + 1, sizeof(*p))) == NULL) {
		struct dstatus why;

		status_set(&why, "4.3.0", "out of memory");
		fail(&why);
	}
	p[(*n)++] = arg;
	*list = p;
}

static int
has_control(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return (1);
	return (0);
}

static void
parse_args(int argc, char **argv, struct options *opt)
{
	int	c;

	opterr = 0;
	while ((c = getopt(argc, argv, "+c:o:f:a:r:nvV")) != -1) {
		switch (c) {
		case 'c':
			opt->config = optarg;
			opt->custom = 1;
			break;
		case 'o':
			add_arg(&opt->overrides, &opt->noverrides, optarg);
			opt->custom = 1;
			break;
		case 'f':
			opt->sender = optarg;
			break;
		case 'a':
			opt->orig_rcpt = optarg;
			break;
		case 'r':
			add_arg(&opt->rcpts, &opt->nrcpts, optarg);
			break;
		case 'n':
			opt->explain = 1;
			break;
		case 'v':
			opt->verbose = 1;
			break;
		case 'V':
			printf("vdeliver %s\nmap types: %s\n", VDELIVER_VERSION,
			    map_types());
			exit(EX_OK);
		case ':':
			usage("option requires an argument");
		default:
			if (optopt != 0 && strchr("cofar", optopt) != NULL)
				usage("option requires an argument");
			usage("unknown option");
		}
	}
	for (; optind < argc; optind++)
		add_arg(&opt->rcpts, &opt->nrcpts, argv[optind]);
	if (opt->nrcpts == 0)
		usage("no recipient");
	/* Addresses end up in header lines: no line breaks smuggled in. */
	if (has_control(opt->sender) || has_control(opt->orig_rcpt))
		usage("control character in an address");
	for (c = 0; c < opt->nrcpts; c++)
		if (has_control(opt->rcpts[c]))
			usage("control character in an address");
}

/*
 * Read the configuration through one descriptor, so that the ownership
 * checked is that of the file parsed.  Set-uid: root-owned and not
 * group/other-writable, or we refuse to act on it.
 */
static struct conf *
load_config(const char *path, int setuid_mode, struct dstatus *why)
{
	struct conf *cf = NULL;
	struct stat st;
	char	*text = NULL;
	ssize_t	n;
	size_t	len = 0;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		status_errno(why, errno, "4.3.5", "cannot open %s", path);
		return (NULL);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_MAX) {
		status_set(why, "4.3.5", "%s: not a regular file of sane size",
		    path);
		goto out;
	}
	if (setuid_mode && (st.st_uid != 0 || (st.st_mode & 022) != 0)) {
		status_set(why, "4.3.5", "%s: must be owned by root and not "
		    "writable by group or others (set-uid mode)", path);
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		status_set(why, "4.3.0", "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size &&
	    (n = read(fd, text + len, (size_t)st.st_size - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status_errno(why, errno, "4.3.5", "read %s", path);
			goto out;
		}
		len += (size_t)n;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		status_set(why, "4.3.5", "%s: contains a NUL byte", path);
		goto out;
	}
	if ((cf = conf_new()) != NULL &&
	    conf_parse_text(cf, path, text, why) < 0) {
		conf_free(cf);
		cf = NULL;
	}
out:
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	close(fd);
	return (cf);
}

/* Is the real uid listed in vdeliver_trusted_users? */
static int
caller_trusted(const char *list)
{
	char	*copy, *tok, *save = NULL;
	uid_t	uid = getuid();
	struct passwd *pw;
	unsigned long long id;
	int	ok = 0;

	if ((copy = strdup(list)) == NULL)
		return (0);
	for (tok = strtok_r(copy, ", \t\r\n", &save); tok != NULL && !ok;
	    tok = strtok_r(NULL, ", \t\r\n", &save)) {
		if (resolve_parse_id(tok, (uid_t)-1, &id) == 0)
			ok = (uid_t)id == uid;
		else if ((pw = getpwnam(tok)) != NULL)
			ok = pw->pw_uid == uid;
	}
	free(copy);
	return (ok);
}

/* Standard descriptors must exist, or a mailbox could become stderr. */
static void
sanitize_process(int setuid_mode)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	if (setuid_mode) {
		clearenv();
		setenv("PATH", "/usr/bin:/bin", 1);
	}
}

/* Unknown map types are configuration errors, found before any mail. */
static int
check_maps(const struct conf *cf, struct vconfig *vc, struct dstatus *why)
{
	const char *params[] = {"virtual_mailbox_maps", "virtual_uid_maps",
	    "virtual_gid_maps"};
	const char *values[] = {vc->mailbox_maps, vc->uid_maps, vc->gid_maps};
	struct dstatus err;
	const char *file;
	int	i, line;

	for (i = 0; i < 3; i++) {
		if (maplist_check(params[i], values[i], &err) == 0)
			continue;
		file = conf_where(cf, params[i], &line);
		if (line > 0)
			status_set(why, err.dsn, "%s, line %d: %s", file, line,
			    err.text);
		else
			status_set(why, err.dsn, "%s: %s", file, err.text);
		conf_settings_free(vc);
		return (-1);
	}
	return (0);
}

static struct conf *
configure(const struct options *opt, int setuid_mode, struct vconfig *vc,
    struct dstatus *why)
{
	struct conf *cf;
	int	i;

	if (setuid_mode && opt->custom) {
		status_set(why, "4.3.5", "-c and -o are not allowed for "
		    "uid %lu when vdeliver is set-uid root",
		    (unsigned long)getuid());
		return (NULL);
	}
	if ((cf = load_config(opt->config, setuid_mode, why)) == NULL)
		return (NULL);
	for (i = 0; i < opt->noverrides; i++)
		if (conf_override(cf, opt->overrides[i], why) < 0)
			goto bad;
	if (conf_settings(cf, vc, why) < 0 || check_maps(cf, vc, why) < 0)
		goto bad;
	if (setuid_mode && !caller_trusted(vc->trusted_users)) {
		status_set(why, "4.3.5", "uid %lu is not in "
		    "vdeliver_trusted_users", (unsigned long)getuid());
		conf_settings_free(vc);
		goto bad;
	}
	return (cf);
bad:
	conf_free(cf);
	return (NULL);
}

/*
 * "<>", "" and MAILER-DAEMON all mean the null sender; "<a@b>" is a@b.
 * Returns the form written in headers (RFC 822-quoted, malloc'd).
 */
static char *
sender_form(const char *s)
{
	char	*copy, *q;
	size_t	len;

	if (s == NULL)
		s = "";
	len = strlen(s);
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	if ((copy = strndup(s, len)) == NULL)
		return (NULL);
	if (*copy == '\0' || strcasecmp(copy, "MAILER-DAEMON") == 0) {
		*copy = '\0';
		return (copy);
	}
	q = address_quote(copy);
	free(copy);
	return (q);
}

/* Open the three map lists; a list that cannot be parsed defers all. */
static int
open_maps(const struct vconfig *vc, struct resolver *rs, struct dstatus *why)
{
	memset(rs, 0, sizeof(*rs));
	rs->vc = vc;
	rs->mailbox_maps = maplist_open("virtual_mailbox_maps",
	    vc->mailbox_maps, MAP_OPEN_NOSUBST, why);
	if (rs->mailbox_maps != NULL)
		rs->uid_maps = maplist_open("virtual_uid_maps", vc->uid_maps,
		    MAP_OPEN_NOSUBST, why);
	if (rs->uid_maps != NULL)
		rs->gid_maps = maplist_open("virtual_gid_maps", vc->gid_maps,
		    MAP_OPEN_NOSUBST, why);
	return (rs->gid_maps != NULL ? 0 : -1);
}

static void
close_maps(struct resolver *rs)
{
	if (rs->mailbox_maps != NULL)
		maplist_close(rs->mailbox_maps);
	if (rs->uid_maps != NULL)
		maplist_close(rs->uid_maps);
	if (rs->gid_maps != NULL)
		maplist_close(rs->gid_maps);
}

/* Everything that can be decided before writing, for each recipient. */
static void
resolve_all(const struct vconfig *vc, struct delivery *dl, int n,
    const struct message *msg)
{
	struct resolver rs;
	struct dstatus why;
	int	i, root = priv_is_root();

	if (open_maps(vc, &rs, &why) < 0) {
		for (i = 0; i < n; i++)
			dl[i].status = why;
		close_maps(&rs);
		return;
	}
	for (i = 0; i < n; i++) {
		if (resolve_recipient(&rs, &dl[i]) < 0)
			continue;
		if (vc->loop_check && msg != NULL &&
		    message_has_delivered_to(msg, dl[i].folded)) {
			status_set(&dl[i].status, "5.4.6",
			    "mail forwarding loop for %s", dl[i].recipient);
			dl[i].resolved = 0;
		} else if (!root && (dl[i].uid != geteuid() ||
		    dl[i].gid != getegid())) {
			status_set(&dl[i].status, "4.3.5", "cannot deliver "
			    "as %s %lu without root privileges",
			    dl[i].uid != geteuid() ? "uid" : "gid",
			    dl[i].uid != geteuid() ? (unsigned long)dl[i].uid :
			    (unsigned long)dl[i].gid);
			dl[i].resolved = 0;
		} else
			status_ok(&dl[i].status, "resolved");
		log_debug("%s: map=%s key=%s path=%s uid=%lu gid=%lu",
		    dl[i].recipient, dl[i].map, dl[i].key, dl[i].path,
		    (unsigned long)dl[i].uid, (unsigned long)dl[i].gid);
	}
	/* Secrets (database passwords) go before privileges do. */
	close_maps(&rs);
}

/*
 * One stderr line per failed recipient, deferrals first so the first line
 * carries the overall status; exit 0, 75 or the first bounce's code.
 */
static int
report(const struct delivery *dl, int n)
{
	int	i, pass, ex = EX_OK;

	for (pass = 4; pass <= 5; pass++)
		for (i = 0; i < n; i++) {
			if (status_class(&dl[i].status) != pass)
				continue;
			fprintf(stderr, "%s %s\n", dl[i].status.dsn,
			    dl[i].status.text);
			if (ex == EX_OK)
				ex = dl[i].status.ex;
		}
	return (ex);
}

int
main(int argc, char **argv)
{
	struct options opt = {.config = DEFAULT_CONFIG};
	struct message *msg = NULL;
	struct delivery *dl;
	struct vconfig vc;
	struct dstatus why;
	struct conf *cf;
	char	*sender;
	int	i, ex, setuid_mode = priv_is_setuid();

	sanitize_process(setuid_mode);
	parse_args(argc, argv, &opt);
	log_verbose_enable(opt.verbose);
	if (opt.verbose)
		log_verbose_hold();	/* the D.S.N line must come first */
	if ((cf = configure(&opt, setuid_mode, &vc, &why)) == NULL)
		fail(&why);
	conf_free(cf);
	if (log_open(vc.syslog_name, vc.syslog_facility, vc.maillog_file,
	    &why) < 0)
		fail(&why);
	if ((dl = calloc((size_t)opt.nrcpts, sizeof(*dl))) == NULL) {
		status_set(&why, "4.3.0", "out of memory");
		fail(&why);
	}
	/* -n at a terminal does not wait for a message. */
	status_set(&why, "4.3.0", "message not read");
	if (!opt.explain || !isatty(STDIN_FILENO)) {
		if ((msg = message_spool(STDIN_FILENO, setuid_mode ? NULL :
		    getenv("TMPDIR"), &why)) == NULL)
			opt.explain = 0;	/* report the spool failure */
	}
	sender = sender_form(opt.sender != NULL ? opt.sender :
	    msg != NULL ? message_envelope_sender(msg) : NULL);
	if (sender == NULL)
		status_set(&why, "4.3.0", "out of memory");
	for (i = 0; i < opt.nrcpts; i++) {
		gettimeofday(&dl[i].start, NULL);
		dl[i].recipient = opt.rcpts[i];
		dl[i].orig_rcpt = opt.orig_rcpt;
		dl[i].sender = sender != NULL ? sender : "";
		dl[i].status = why;
	}
	if (sender != NULL && (msg != NULL || opt.explain))
		resolve_all(&vc, dl, opt.nrcpts, msg);
	if (opt.explain) {
		for (i = 0; i < opt.nrcpts; i++) {
			if (i > 0)
				putchar('\n');
			deliver_explain(stdout, &dl[i]);
		}
		fflush(stdout);
	} else {
		deliver_all(dl, opt.nrcpts, msg, &vc);
		for (i = 0; i < opt.nrcpts; i++)
			deliver_log(&dl[i]);
	}
	ex = report(dl, opt.nrcpts);
	log_verbose_flush();
	for (i = 0; i < opt.nrcpts; i++)
		delivery_free(&dl[i]);
	free(dl);
	free(sender);
	if (msg != NULL)
		message_free(msg);
	conf_settings_free(&vc);
	free(opt.rcpts);
	free(opt.overrides);
	log_close();
	exit(ex);
}
