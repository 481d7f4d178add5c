#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# expect.pl - what Dovecot must return for a message that vdeliver
# delivered, computed from the input and the rules of SPEC sections 2 and
# 7 alone (independent of vdeliver's code), for tests/run_dovecot.sh.
#
#   perl expect.pl mbox|maildir SENDER RECIPIENT PREFIX [ITEMS] < input
#
# The message as vdeliver stores it ("stored"): "Return-Path: <SENDER>",
# "Delivered-To: RECIPIENT", then the input with a leading "From " envelope
# line removed, CRLF line ends turned into LF (a bare CR is kept), a final
# newline added when missing, and, for mbox, one ">" put in front of every
# line that begins with "From " (mboxo quoting; Dovecot does not undo it).
# The mbox From_ line and the empty line that ends each mbox message are
# not part of the message for Dovecot.
#
# Written, for each of ITEMS (comma-separated; default all):
#   PREFIX.body    what IMAP FETCH BODY[] returns: the stored message with
#                  every LF not preceded by CR sent as CRLF, and NUL bytes
#                  replaced by 0x80 (Dovecot never sends NUL in BODY[])
#   PREFIX.binary  what FETCH BINARY[] returns: the same, NULs kept
#   PREFIX.text    what FETCH BODY[TEXT] returns: .body after the first
#                  empty line (empty when the message has no empty line)
# Printed on stdout: "STORED_SIZE CRLF_SIZE" (Dovecot's physical size of
# the message and its RFC822.SIZE).
use strict;
use warnings;

my ($fmt, $sender, $rcpt, $pfx, $items) = @ARGV;
die "usage: expect.pl mbox|maildir SENDER RCPT PREFIX [ITEMS]\n" unless defined $pfx;
$items = 'body,binary,text' unless defined $items;
my %fh;
for my $i (split /,/, $items) {
	open($fh{$i}, '>', "$pfx.$i") or die "$pfx.$i: $!\n";
	binmode $fh{$i};
}
binmode STDIN;

my ($stored, $crlf, $in_header) = (0, 0, 1);
sub emit {
	my ($l) = @_;	# one stored line, ending in LF
	$stored += length $l;
	$l =~ s/(?<!\r)\n\z/\r\n/;
	$crlf += length $l;
	print { $fh{binary} } $l if $fh{binary};
	$l =~ tr/\0/\x80/;
	print { $fh{body} } $l if $fh{body};
	if (!$in_header) {
		print { $fh{text} } $l if $fh{text};
	} elsif ($l eq "\r\n") {
		$in_header = 0;
	}
}

emit("Return-Path: <$sender>\n");
emit("Delivered-To: $rcpt\n");
my $first = 1;
while (my $l = <STDIN>) {
	if ($first) {
		$first = 0;
		next if $l =~ /^From /;
	}
	$l =~ s/\r\n\z/\n/;
	$l .= "\n" unless $l =~ /\n\z/;
	$l = ">$l" if $fmt eq 'mbox' && $l =~ /^From /;
	emit($l);
}
for my $f (values %fh) { close($f) or die "$!\n"; }
print "$stored $crlf\n";
