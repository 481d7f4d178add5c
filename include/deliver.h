/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * deliver.h - delivering one message to resolved recipients: the
 * prepended headers, the permanent privilege switch (in this process when
 * every recipient has the same uid/gid, else one child per recipient),
 * the explain (-n) report and the per-recipient log line.
 */
#ifndef VDELIVER_DELIVER_H
#define VDELIVER_DELIVER_H

#include <stdio.h>

struct delivery;
struct message;
struct vconfig;

/*
 * Deliver to every dl[i] with dl[i].resolved set; each outcome goes into
 * dl[i].status.  Maps must already be closed (secrets wiped): this drops
 * privileges for good.
 */
void	deliver_all(struct delivery *dl, int n, const struct message *msg,
	    const struct vconfig *vc);

/* The Return-Path / X-Original-To / Delivered-To block (malloc'd). */
char	*deliver_headers(const struct delivery *dl, const struct vconfig *vc);

/* -n report for one recipient (SPEC section 2). */
void	deliver_explain(FILE *fp, const struct delivery *dl);

/* One log line for a finished recipient (SPEC section 8). */
void	deliver_log(const struct delivery *dl);

/* Postfix-style delay: 2 significant digits, at most 2 decimals. */
void	deliver_format_delay(char *buf, size_t size, double seconds);

#endif
