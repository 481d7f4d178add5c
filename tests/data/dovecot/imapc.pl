#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# imapc.pl - a minimal IMAP client for tests/run_dovecot.sh, talking to a
# Dovecot imap process started in PREAUTH mode over a pipe (no network).
#
#   perl imapc.pl OUTDIR 'IMAP COMMAND'... -- IMAP-PROGRAM ARGS...
#
# Runs IMAP-PROGRAM, expects the "* PREAUTH" greeting, sends each command
# with the tags t1, t2, ... and reads the responses.  Literals ({N} and
# BINARY's ~{N}) are parsed exactly: N bytes are read and written,
# unchanged, to OUTDIR/SEQ.ITEM, where SEQ is the message sequence number
# of the FETCH response and ITEM the fetch item with its brackets folded:
# BODY[] -> BODY, BODY[TEXT] -> BODY.TEXT, BINARY[] -> BINARY.  They are
# copied in blocks, never held in memory whole.  Every response is printed
# on stdout without its CR, each literal replaced by "{N}".  A LOGOUT is
# sent last.  Exit 0 when every command was answered OK and the imap
# process exited with status 0; 1 otherwise (a NO/BAD, an unexpected end
# of the server's output, or the time limit IMAPC_TIMEOUT, default 300 s).
use strict;
use warnings;
use IPC::Open2;

my $outdir = shift @ARGV;
my @cmds;
while (@ARGV && $ARGV[0] ne '--') { push @cmds, shift @ARGV; }
shift @ARGV;
die "usage: imapc.pl OUTDIR CMD... -- PROGRAM ARGS...\n" unless @ARGV && defined $outdir;

$SIG{ALRM} = sub { print "imapc: timeout\n"; exit 1; };
alarm($ENV{IMAPC_TIMEOUT} || 300);

my $pid = open2(my $from, my $to, @ARGV);
binmode $from;
binmode $to;
$to->autoflush(1);
$| = 1;

sub getline {
	my $l = <$from>;
	unless (defined $l) { print "imapc: unexpected end of server output\n"; exit 1; }
	return $l;
}

# read_response: one complete response, literals saved; returns its text.
sub read_response {
	my $line = getline();
	my $text = '';
	my $seq = $line =~ /^\* (\d+) FETCH / ? $1 : 'x';
	while ($line =~ /(\S+) (~?)\{(\d+)\}\r\n\z/) {
		my ($item, $n) = ($1, $3);
		$item =~ s/\[\]//;
		$item =~ s/\[(.*)\]/.$1/;
		$item =~ tr/A-Za-z0-9./_/c;
		my $file = "$outdir/$seq.$item";
		open(my $fh, '>', $file) or die "imapc: $file: $!\n";
		binmode $fh;
		my $left = $n;
		while ($left > 0) {
			my $want = $left > 1048576 ? 1048576 : $left;
			my $got = read($from, my $buf, $want);
			unless ($got) { print "imapc: short literal ($left of $n bytes missing)\n"; exit 1; }
			print $fh $buf or die "imapc: $file: $!\n";
			$left -= $got;
		}
		close($fh) or die "imapc: $file: $!\n";
		$line =~ s/\r\n\z//;
		$text .= $line;
		$line = getline();
	}
	$line =~ s/\r?\n\z//;
	return $text . $line;
}

my $greeting = read_response();
print "$greeting\n";
unless ($greeting =~ /^\* PREAUTH /) { print "imapc: no PREAUTH greeting\n"; exit 1; }

my $rc = 0;
my $n = 0;
for my $cmd (@cmds, 'LOGOUT') {
	$n++;
	my $tag = "t$n";
	print $to "$tag $cmd\r\n";
	while (1) {
		my $r = read_response();
		print "$r\n";
		if ($r =~ /^\Q$tag\E (\S+)/) {
			if ($1 ne 'OK') { $rc = 1; print "imapc: $cmd failed\n"; }
			last;
		}
	}
	if ($rc && $cmd ne 'LOGOUT') { print $to "t0 LOGOUT\r\n"; last; }
}
close $to;
while (defined(my $l = <$from>)) { $l =~ s/\r?\n\z//; print "$l\n"; }
waitpid($pid, 0);
if ($? != 0) { print "imapc: the imap process exited with status $?\n"; $rc = 1; }
exit $rc;
