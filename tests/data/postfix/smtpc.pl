#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# smtpc.pl - a tiny SMTP client for tests/run_postfix.sh (perl-base only).
#
#   smtpc.pl send PORT SENDER RCPT... < message
#	Sends the message to 127.0.0.1:PORT: EHLO, MAIL FROM:<SENDER> (an
#	empty SENDER is the null sender), one RCPT TO per RCPT, DATA.  The
#	bytes go as they are, except what SMTP itself requires: every LF
#	(or CRLF) becomes CRLF, a line that begins with "." gets one more
#	(dot-stuffing), and a message without a final newline gets one (SMTP
#	has no way to say "no final newline").  BODY=8BITMIME when the
#	message has 8-bit bytes.  Prints the queue id of the "250 ... queued
#	as ID" reply.  Exit 0 when queued, 1 otherwise (reply on stderr).
#   smtpc.pl port	print a TCP port of 127.0.0.1 that is free now
#   smtpc.pl probe PORT	exit 0 when something accepts connections there
use strict;
use warnings;
use IO::Socket::INET;

my $TIMEOUT = 30;

sub connect_to {
	my ($port) = @_;
	return IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, Proto => 'tcp', Timeout => $TIMEOUT);
}

# reply SOCK : read one (multi-line) reply; returns (code, full text).
sub reply {
	my ($s) = @_;
	my $text = '';
	local $SIG{ALRM} = sub { die "smtpc: timeout waiting for a reply\n" };
	alarm $TIMEOUT;
	while (defined(my $l = <$s>)) {
		$text .= $l;
		if ($l =~ /^(\d{3}) /) {
			alarm 0;
			return ($1, $text);
		}
		$l =~ /^\d{3}-/ or last;
	}
	alarm 0;
	return (0, $text eq '' ? "connection closed\n" : $text);
}

# cmd SOCK LINE EXPECT_RE : send a command, check the reply code.
sub cmd {
	my ($s, $line, $want) = @_;
	print $s "$line\r\n";
	my ($code, $text) = reply($s);
	return $text if $code =~ $want;
	print STDERR "smtpc: $line: $text";
	exit 1;
}

sub send_msg {
	my ($port, $sender, @rcpt) = @_;
	@rcpt or die "usage: smtpc.pl send PORT SENDER RCPT... < msg\n";
	binmode STDIN;
	my $msg = do { local $/; <STDIN> } // '';
	my $s = connect_to($port) or die "smtpc: connect to $port: $!\n";
	binmode $s;
	$s->autoflush(1);
	my ($code, $text) = reply($s);
	$code == 220 or die "smtpc: greeting: $text";
	cmd($s, 'EHLO localhost', qr/^250$/);
	my $body8 = $msg =~ /[\x80-\xff]/ ? ' BODY=8BITMIME' : '';
	cmd($s, "MAIL FROM:<$sender>$body8", qr/^250$/);
	cmd($s, "RCPT TO:<$_>", qr/^25[01]$/) for @rcpt;
	cmd($s, 'DATA', qr/^354$/);
	$msg .= "\n" if $msg ne '' && $msg !~ /\n\z/;
	my $data = '';
	for my $l (split /(?<=\n)/, $msg) {
		$l =~ s/\r?\n\z//;
		$l = ".$l" if $l =~ /^\./;
		$data .= "$l\r\n";
	}
	print $s $data;
	$text = cmd($s, '.', qr/^250$/);
	print $s "QUIT\r\n";
	$text =~ /queued as ([0-9A-Za-z]+)/ or die "smtpc: no queue id: $text";
	print "$1\n";
	close $s;
	return 0;
}

my $what = shift // '';
if ($what eq 'send') {
	exit send_msg(@ARGV);
} elsif ($what eq 'port') {
	my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	    Proto => 'tcp', Listen => 1) or die "smtpc: bind: $!\n";
	print $l->sockport, "\n";
	exit 0;
} elsif ($what eq 'probe') {
	exit(connect_to($ARGV[0]) ? 0 : 1);
}
die "usage: smtpc.pl send PORT SENDER RCPT... | port | probe PORT\n";
