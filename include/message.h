/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * message.h - the message: spooled once from standard input, normalised,
 * then copied to each mailbox with the delivery headers in front.
 *
 * Spooling keeps memory constant: up to MESSAGE_MEM_MAX bytes stay in
 * memory, the rest goes to an unlinked temporary file (in $TMPDIR unless
 * set-uid, else /tmp).  While spooling: a leading "From " envelope line is
 * removed (its sender remembered), CRLF becomes LF (a bare CR and NUL
 * bytes are kept), a missing final newline is added, and the Delivered-To
 * values of the top header block are collected for the loop check.
 * Standard input that is a regular file needing none of that but the
 * From_ line removed and the final newline added (no CR at all, more than
 * MESSAGE_MEM_MAX bytes) is not copied: it is scanned once and then read
 * in place, at the offsets of that scan (a file that has shrunk since
 * gives short reads, which the writers turn into EIO).
 * Reads use pread-style offsets, so forked children never share a file
 * position.
 */
#ifndef VDELIVER_MESSAGE_H
#define VDELIVER_MESSAGE_H

#include <sys/types.h>

struct dstatus;
struct message;

#define MESSAGE_MEM_MAX	(128 * 1024)

/*
 * Spool everything readable from fd.  tmpdir: where to put the temporary
 * file (NULL = /tmp).  NULL + why (4.3.0) on read or spool errors.
 */
struct message *message_spool(int fd, const char *tmpdir,
	    struct dstatus *why);
void	message_free(struct message *msg);

/* Sender of the removed leading "From " line, or NULL if there was none. */
const char *message_envelope_sender(const struct message *msg);
/* Size of the normalised message in bytes. */
off_t	message_size(const struct message *msg);
/*
 * Lines of the normalised message that begin with "From " (the first one
 * included): the ">" that mbox quoting adds, counted while spooling.
 */
off_t	message_from_lines(const struct message *msg);
/* Copy up to len bytes from offset off; returns bytes, 0 at end, -1. */
ssize_t	message_read(const struct message *msg, void *buf, size_t len,
	    off_t off);

/*
 * Does the top header block have a Delivered-To: whose value (first line,
 * blanks trimmed) equals addr, ignoring case?
 */
int	message_has_delivered_to(const struct message *msg, const char *addr);

/* How message_write() writes one copy. */
struct message_out {
	const char *from_line;	/* mbox "From ..." line with \n, or NULL */
	const char *headers;	/* Return-Path..Delivered-To lines, each \n */
	int	quote_from;	/* mbox: ">" before body lines "From " */
	int	blank_line;	/* mbox: append one empty line */
	off_t	start_size;	/* size of the file before writing */
	unsigned long long limit;	/* max final file size, 0 = none */
};

/*
 * Write one copy to fd (already positioned / O_APPEND) through a buffer.
 * Exceeding out->limit fails with EFBIG before anything past the limit is
 * written.  Returns bytes written, or -1 with errno set (the caller
 * truncates or unlinks and maps errno with status_errno()).
 */
off_t	message_write(const struct message *msg, int fd,
	    const struct message_out *out);

/*
 * The mbox From_ line: "From <sender>  <asctime date>\n"; the null sender
 * is written MAILER-DAEMON.  sender is already quoted.  Writes into buf.
 */
int	message_from_line(char *buf, size_t size, const char *sender,
	    time_t when);

#endif
