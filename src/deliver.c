/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * deliver.c - from resolved recipients to mailboxes.
 *
 * Privileges: by the time we get here every lookup is done and the maps
 * are closed, so switching to the recipient's uid is permanent.  When all
 * recipients share one uid/gid the switch happens in this process (the
 * common case: one recipient per run, no fork).  Otherwise each recipient
 * gets a child that switches and delivers; the parent, still privileged,
 * only collects the struct dstatus over a pipe.  A child that dies without
 * reporting leaves its recipient deferred, never delivered.
 *
 * Without root privileges nothing is switched: main() already refused
 * recipients whose uid/gid differ from ours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "address.h"
#include "conf.h"
#include "deliver.h"
#include "delivery.h"
#include "log.h"
#include "mailbox.h"
#include "message.h"
#include "priv.h"
#include "status.h"
#include "walk.h"

char *
deliver_headers(const struct delivery *dl, const struct vconfig *vc)
{
	char	*rcpt, *orig = NULL, *hdr = NULL;
	int	with_orig;

	with_orig = dl->orig_rcpt != NULL && *dl->orig_rcpt != '\0' &&
	    vc->enable_original_recipient;
	if ((rcpt = address_quote(dl->recipient)) == NULL ||
	    (with_orig && (orig = address_quote(dl->orig_rcpt)) == NULL))
		goto out;
	if (asprintf(&hdr, "Return-Path: <%s>\n%s%s%sDelivered-To: %s\n",
	    dl->sender, with_orig ? "X-Original-To: " : "",
	    with_orig ? orig : "", with_orig ? "\n" : "", rcpt) < 0)
		hdr = NULL;
out:
	free(rcpt);
	free(orig);
	return (hdr);
}

/* Deliver one recipient as whoever we are now. */
static void
deliver_one(struct delivery *dl, const struct message *msg,
    const struct vconfig *vc)
{
	char	*headers;
	int	basefd;

	/* Only the mailbox code may say "delivered". */
	status_set(&dl->status, "4.3.0", "internal error: no delivery outcome");
	if ((headers = deliver_headers(dl, vc)) == NULL) {
		status_set(&dl->status, "4.3.0", "out of memory");
		return;
	}
	basefd = walk_open_base(vc->mailbox_base, &dl->status);
	if (basefd >= 0) {
		if (dl->format == FORMAT_MAILDIR)
			maildir_deliver(dl, msg, headers, vc, basefd,
			    &dl->status);
		else
			mbox_deliver(dl, msg, headers, vc, basefd,
			    &dl->status);
		close(basefd);
	}
	free(headers);
}

static int
read_full(int fd, void *buf, size_t len)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		done += (size_t)n;
	}
	return (0);
}

/* Child per recipient: switch ids for good, deliver, report. */
static void
deliver_child(struct delivery *dl, const struct message *msg,
    const struct vconfig *vc)
{
	struct dstatus st;
	int	pfd[2], wstatus;
	pid_t	pid;

	if (pipe(pfd) < 0) {
		status_errno(&dl->status, errno, "4.3.0", "pipe");
		return;
	}
	if ((pid = fork()) < 0) {
		status_errno(&dl->status, errno, "4.3.0", "fork");
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		status_set(&dl->status, "4.3.0", "internal error: no outcome");
		if (priv_drop(dl->uid, dl->gid, &dl->status) == 0)
			deliver_one(dl, msg, vc);
		if (write(pfd[1], &dl->status, sizeof(dl->status)) !=
		    (ssize_t)sizeof(dl->status))
			_exit(75);
		_exit(0);
	}
	close(pfd[1]);
	if (read_full(pfd[0], &st, sizeof(st)) == 0)
		dl->status = st;
	else
		status_set(&dl->status, "4.3.0",
		    "delivery process for %s died before reporting",
		    dl->recipient);
	close(pfd[0]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	/* Guard against a forged or truncated report. */
	dl->status.dsn[sizeof(dl->status.dsn) - 1] = '\0';
	dl->status.text[sizeof(dl->status.text) - 1] = '\0';
}

void
deliver_all(struct delivery *dl, int n, const struct message *msg,
    const struct vconfig *vc)
{
	int	i, same = 1, first = -1;

	for (i = 0; i < n; i++) {
		if (!dl[i].resolved)
			continue;
		if (first < 0)
			first = i;
		else if (dl[i].uid != dl[first].uid ||
		    dl[i].gid != dl[first].gid)
			same = 0;
	}
	if (first < 0)
		return;
	if (priv_is_root() && same && priv_drop(dl[first].uid,
	    dl[first].gid, &dl[first].status) < 0) {
		for (i = first + 1; i < n; i++)
			if (dl[i].resolved)
				dl[i].status = dl[first].status;
		return;
	}
	for (i = 0; i < n; i++) {
		if (!dl[i].resolved)
			continue;
		if (priv_is_root() && !same)
			deliver_child(&dl[i], msg, vc);
		else
			deliver_one(&dl[i], msg, vc);
	}
}

void
deliver_explain(FILE *fp, const struct delivery *dl)
{
	const char *status;

	switch (status_class(&dl->status)) {
	case 2:
		status = "deliver";
		break;
	case 5:
		status = "bounce";
		break;
	default:
		status = "defer";
		break;
	}
	fprintf(fp, "recipient=%s\nmap=%s\nkey=%s\npath=%s\nformat=%s\n",
	    dl->recipient, dl->map ? dl->map : "", dl->key ? dl->key : "",
	    dl->path ? dl->path : "", dl->path == NULL ? "" :
	    dl->format == FORMAT_MAILDIR ? "maildir" : "mbox");
	if (dl->resolved)
		fprintf(fp, "uid=%lu\ngid=%lu\n", (unsigned long)dl->uid,
		    (unsigned long)dl->gid);
	else
		fprintf(fp, "uid=\ngid=\n");
	fprintf(fp, "dsn=%s\nstatus=%s\n", dl->status.dsn, status);
}

void
deliver_format_delay(char *buf, size_t size, double sec)
{
	int	decimals;
	char	*p;

	if (sec < 0)
		sec = 0;
	/* Two significant digits, never more than two decimals. */
	decimals = sec >= 10 ? 0 : sec >= 1 ? 1 : 2;
	snprintf(buf, size, "%.*f", decimals, sec);
	if (strchr(buf, '.') != NULL) {
		p = buf + strlen(buf) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
}

void
deliver_log(const struct delivery *dl)
{
	struct timeval now;
	char	delay[32];
	const char *what;
	int	with_orig;

	gettimeofday(&now, NULL);
	deliver_format_delay(delay, sizeof(delay),
	    (double)(now.tv_sec - dl->start.tv_sec) +
	    (double)(now.tv_usec - dl->start.tv_usec) / 1e6);
	what = status_class(&dl->status) == 2 ? "sent" :
	    status_class(&dl->status) == 5 ? "bounced" : "deferred";
	with_orig = dl->orig_rcpt != NULL && *dl->orig_rcpt != '\0' &&
	    strcasecmp(dl->orig_rcpt, dl->recipient) != 0;
	log_info("to=<%s>, %s%s%srelay=vdeliver, delay=%s, dsn=%s, "
	    "status=%s (%s)", dl->recipient, with_orig ? "orig_to=<" : "",
	    with_orig ? dl->orig_rcpt : "", with_orig ? ">, " : "", delay,
	    dl->status.dsn, what, dl->status.text);
}
