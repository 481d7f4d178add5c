/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_conf_maincf.c - a realistic Postfix main.cf (a Debian server's,
 * 130+ parameters, comment blocks, multi-line restriction lists with
 * comments inside, $references, a regexp with a bare '$' in a parameter
 * vdeliver never reads) must load from a file, keep every value exactly,
 * expand what is asked for, and yield the virtual_* settings in it.
 */
#include "check_util.h"
#include "conf.h"
#include "status.h"

static struct dstatus why;

static void
raw_eq(const struct conf *cf, const char *name, const char *want)
{
	const char *v = conf_get_raw(cf, name);

	ck_assert_msg(v != NULL, "%s not set", name);
	ck_assert_str_eq(v, want);
}

static void
get_eq(const struct conf *cf, const char *name, const char *want)
{
	char	*v = conf_get(cf, name, &why);

	ck_assert_msg(v != NULL, "conf_get(%s): %s", name, why.text);
	ck_assert_str_eq(v, want);
	free(v);
}

/* A Postfix main.cf as found on a Debian mail server. */
static const char maincf_head[] =
    "# See /usr/share/postfix/main.cf.dist for a commented, more complete "
    "version\n\n\n"
    "# Debian specific:  Specifying a file name will cause the first\n"
    "# line of that file to be used as the name.  The Debian default\n"
    "# is /etc/mailname.\n#myorigin = /etc/mailname\n\n"
    "smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n"
    "biff = no\n\n# appending .domain is the MUA's job.\n"
    "append_dot_mydomain = no\n\n"
    "smtpd_recipient_restrictions =\n"
    "    permit_mynetworks,\n"
    "    # authenticated clients may relay\n"
    "    permit_sasl_authenticated,\n"
    "#   reject_rbl_client zen.spamhaus.org,\n"
    "    reject_unauth_destination,\n"
    "\tcheck_policy_service unix:private/policyd-spf\n"
    "debugger_command =\n"
    "\t PATH=/bin:/usr/bin:/usr/local/bin:/usr/X11R6/bin\n"
    "\t ddd $daemon_directory/$process_name $process_id & sleep 5\n"
    "header_checks = pcre:{/^Subject: .*viagra$/ REJECT}\n"
    "syslog_name = ${multi_instance_name?{$multi_instance_name}:{postfix}}\n"
    "virtual_mailbox_base = /var/mail/vhosts/\n"
    "virtual_mailbox_maps = hash:/etc/postfix/vmailbox,\n"
    "    mysql:$config_directory/mysql-vmailbox.cf\n"
    "virtual_uid_maps = static:5000\nvirtual_gid_maps = static:5000\n"
    "virtual_minimum_uid = 1000\n"
    "virtual_mailbox_limit = $message_size_limit\n";

/* Parameters written one per line after the head, as "name = value". */
static const char *const maincf_params[] = {
	"2bounce_notice_recipient = postmaster",
	"alias_maps = hash:/etc/aliases",
	"access_map_reject_code = 554", "alias_database = hash:/etc/aliases",
	"address_verify_map = btree:$data_directory/verify_cache",
	"allow_percent_hack = yes",
	"always_bcc =",
	"anvil_rate_time_unit = 60s",
	"anvil_status_update_time = 600s", "append_at_myorigin = yes",
	"body_checks =", "bounce_queue_lifetime = 5d", "biff = no",
	"bounce_size_limit = 50000", "broken_sasl_auth_clients = no",
	"canonical_maps =", "command_directory = /usr/sbin",
	"compatibility_level = 3.6", "config_directory = /etc/postfix",
	"content_filter =", "daemon_directory = /usr/lib/postfix/sbin",
	"data_directory = /var/lib/postfix", "debug_peer_level = 2",
	"default_database_type = hash", "default_process_limit = 100",
	"default_destination_concurrency_limit = 20",
	"default_transport = smtp", "delay_warning_time = 4h",
	"disable_vrfy_command = yes", "enable_long_queue_ids = yes",
	"header_size_limit = 102400", "home_mailbox = Maildir/",
	"hopcount_limit = 50", "html_directory = no", "in_flow_delay = 1s",
	"inet_interfaces = all", "inet_protocols = all",
	"line_length_limit = 2048", "lmtp_tls_security_level = may",
	"local_recipient_maps = proxy:unix:passwd.byname $alias_maps",
	"local_transport = local:$myhostname", "mail_owner = postfix",
	"mailbox_command = /usr/lib/dovecot/deliver", "mailbox_size_limit = 0",
	"mailq_path = /usr/bin/mailq", "manpage_directory = /usr/share/man",
	"maillog_file_prefixes = /var, /dev/stdout",
	"maximal_backoff_time = 4000s", "maximal_queue_lifetime = 5d",
	"message_size_limit = 52428800", "meta_directory = /etc/postfix",
	"milter_default_action = accept", "milter_protocol = 6",
	"milter_mail_macros = i {mail_addr} {client_addr} {auth_authen}",
	"minimal_backoff_time = 300s", "multi_instance_enable = no",
	"mydestination = $myhostname, localhost.$mydomain, localhost",
	"mydomain = example.com", "myhostname = mail.example.com",
	"mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128",
	"myorigin = /etc/mailname", "newaliases_path = /usr/bin/newaliases",
	"non_smtpd_milters = $smtpd_milters",
	"notify_classes = resource, software", "owner_request_special = yes",
	"postscreen_access_list = permit_mynetworks",
	"postscreen_dnsbl_action = enforce",
	"postscreen_greet_action = enforce",
	"postscreen_dnsbl_sites = zen.spamhaus.org*3 bl.spamcop.net*1",
	"postscreen_dnsbl_threshold = 3",
	"propagate_unmatched_extensions = canonical, virtual",
	"queue_directory = /var/spool/postfix", "queue_run_delay = 300s",
	"readme_directory = no",
	"receive_override_options = no_address_mappings",
	"recipient_canonical_maps =", "recipient_delimiter = +",
	"relay_domains = $mydestination", "relayhost = [smtp.example.net]:587",
	"sample_directory = /usr/share/doc/postfix/examples",
	"sendmail_path = /usr/sbin/sendmail", "setgid_group = postdrop",
	"shlib_directory = /usr/lib/postfix", "smtp_dns_support_level = dnssec",
	"smtp_helo_timeout = 300s", "smtp_sasl_auth_enable = yes",
	"smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd",
	"smtp_sasl_security_options = noanonymous",
	"smtp_tls_CApath = /etc/ssl/certs", "smtp_tls_loglevel = 1",
	"smtp_tls_mandatory_protocols = !SSLv2, !SSLv3",
	"smtp_tls_security_level = may",
	"smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache",
	"smtpd_client_connection_rate_limit = 30",
	"smtpd_client_message_rate_limit = 100",
	"smtpd_client_restrictions = permit_mynetworks, reject_unknown_client",
	"smtpd_data_restrictions = reject_unauth_pipelining",
	"smtpd_error_sleep_time = 1s", "smtpd_hard_error_limit = 20",
	"smtpd_helo_required = yes",
	"smtpd_helo_restrictions = permit_mynetworks, "
	    "reject_invalid_helo_hostname",
	"smtpd_milters = inet:localhost:8891",
	"smtpd_relay_restrictions = permit_mynetworks defer_unauth_destination",
	"smtpd_sasl_auth_enable = yes", "smtpd_sasl_path = private/auth",
	"smtpd_sasl_type = dovecot", "smtpd_soft_error_limit = 10",
	"smtpd_sender_restrictions = reject_non_fqdn_sender",
	"smtpd_timeout = 300s", "smtpd_tls_auth_only = yes",
	"smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem",
	"smtpd_tls_dh1024_param_file = ${config_directory}/dh2048.pem",
	"smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key",
	"smtpd_tls_loglevel = 1", "smtpd_tls_received_header = yes",
	"smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1",
	"smtpd_tls_protocols = $smtpd_tls_mandatory_protocols",
	"smtpd_tls_security_level = may", "smtputf8_enable = yes",
	"smtpd_tls_session_cache_timeout = 3600s", "soft_bounce = no",
	"strict_rfc821_envelopes = yes", "tls_preempt_cipherlist = no",
	"tls_random_source = dev:/dev/urandom",
	"tlsproxy_enforce_tls = $smtpd_enforce_tls",
	"transport_maps = hash:/etc/postfix/transport",
	"unknown_local_recipient_reject_code = 550",
	"unverified_recipient_reject_code = 450", "virtual_alias_domains =",
	"virtual_alias_maps = hash:/etc/postfix/virtual",
	"virtual_mailbox_domains = example.org, example.net",
	"virtual_transport = vdeliver",
	"vdeliver_destination_recipient_limit = 1",
	"syslog_facility = mail",
};

#define NPARAMS	(sizeof(maincf_params) / sizeof(maincf_params[0]))

START_TEST(test_postfix_maincf)
{
	char	*dir = tu_mkdtemp(), *path, *text, name[128];
	size_t	i, n, len = sizeof(maincf_head);
	struct conf *cf;
	struct vconfig vc;

	ck_assert_uint_ge(NPARAMS, 130);
	for (i = 0; i < NPARAMS; i++)
		len += strlen(maincf_params[i]) + 2;
	text = malloc(len);
	strcpy(text, maincf_head);
	for (i = 0; i < NPARAMS; i++) {
		strcat(text, maincf_params[i]);
		strcat(text, i % 3 ? "\n" : "  \n");
	}
	path = tu_write(dir, "main.cf", text);
	cf = conf_load(path, &why);
	ck_assert_msg(cf != NULL, "%s", why.text);
	for (i = 0; i < NPARAMS; i++) {
		n = strcspn(maincf_params[i], " ");
		snprintf(name, sizeof(name), "%.*s", (int)n, maincf_params[i]);
		raw_eq(cf, name, maincf_params[i] + n + (maincf_params[i][n +
		    2] == '\0' ? 2 : 3));
	}
	raw_eq(cf, "smtpd_recipient_restrictions", "permit_mynetworks,    "
	    "permit_sasl_authenticated,    reject_unauth_destination,\t"
	    "check_policy_service unix:private/policyd-spf");
	raw_eq(cf, "debugger_command", "PATH=/bin:/usr/bin:/usr/local/bin:"
	    "/usr/X11R6/bin\t ddd $daemon_directory/$process_name $process_id"
	    " & sleep 5");
	raw_eq(cf, "header_checks", "pcre:{/^Subject: .*viagra$/ REJECT}");
	get_eq(cf, "smtpd_banner", "mail.example.com ESMTP  (Debian/GNU)");
	get_eq(cf, "mydestination", "mail.example.com, localhost.example.com,"
	    " localhost");
	get_eq(cf, "relay_domains", "mail.example.com, localhost.example.com,"
	    " localhost");
	get_eq(cf, "smtp_tls_session_cache_database",
	    "btree:/var/lib/postfix/smtp_scache");
	ck_assert_int_eq(conf_settings(cf, &vc, &why), 0);
	ck_assert_str_eq(vc.mailbox_base, "/var/mail/vhosts");
	ck_assert_str_eq(vc.mailbox_maps, "hash:/etc/postfix/vmailbox,    "
	    "mysql:/etc/postfix/mysql-vmailbox.cf");
	ck_assert_str_eq(vc.uid_maps, "static:5000");
	ck_assert_uint_eq(vc.minimum_uid, 1000);
	ck_assert_uint_eq(vc.mailbox_limit, 52428800);
	ck_assert_str_eq(vc.recipient_delimiter, "+");
	ck_assert_str_eq(vc.syslog_name, "postfix");
	ck_assert_int_eq(vc.lock_methods, CONF_LOCK_FCNTL | CONF_LOCK_DOTLOCK);
	conf_settings_free(&vc);
	conf_free(cf);
	free(text);
	free(path);
	tu_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *
conf_maincf_suite(void)
{
	Suite	*s = suite_create("conf_maincf");
	TCase	*tc = tcase_create("postfix_maincf");

	tcase_add_test(tc, test_postfix_maincf);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	return (tu_run(conf_maincf_suite()) != 0);
}
