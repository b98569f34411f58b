"""Hand-written content of the demo organisation: people, teams, ticket templates, chat lines.

Everything here is plain data; ``generate.py`` draws from it with a seeded random generator.
Skill names must match ``taxonomy.SKILLS`` exactly (a test checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

# ---------------------------------------------------------------------------------- people

ADMIN_EMAIL = "admin@example.com"
ADMIN_NAME = "Robin Achterberg"
MANAGERS: tuple[tuple[str, str, str], ...] = (
    # (email, name, team they lead)
    ("manager@example.com", "Helena Brandt", "Service Desk"),
    ("manager2@example.com", "Kofi Boateng", "Network"),
)

# Fifty distinct names for the forty agents and ten requesters; a multinational IT department.
NAMES: tuple[str, ...] = (
    "Amara Okafor",
    "Lukas Schneider",
    "Priya Raman",
    "Mateo García",
    "Aiko Tanaka",
    "Oluwaseun Adeyemi",
    "Sofia Rossi",
    "Chen Wei",
    "Fatima Al-Sayed",
    "Jonas Lindqvist",
    "Isabela Costa",
    "Rahul Mehta",
    "Nadia Haddad",
    "Tomasz Kowalski",
    "Grace Mensah",
    "Daniel Cohen",
    "Mei Lin",
    "Kwame Asante",
    "Elena Petrova",
    "Diego Hernández",
    "Hana Novák",
    "Arjun Nair",
    "Chloé Martin",
    "Samuel Okoye",
    "Yuki Sato",
    "Leila Farahani",
    "Marcus Johnson",
    "Ingrid Solberg",
    "Tariq Hussain",
    "Camila Rodríguez",
    "Noah Williams",
    "Anika Sharma",
    "Pierre Dubois",
    "Zanele Dlamini",
    "Ethan Park",
    "Olga Ivanova",
    "Rafael Souza",
    "Aisha Bello",
    "Henrik Jensen",
    "Lucía Fernández",
    "Kenji Watanabe",
    "Maya Goldberg",
    "Emeka Nwosu",
    "Sara Lindberg",
    "Vikram Iyer",
    "Julia Nowak",
    "Omar Farouk",
    "Hannah Fischer",
    "Thabo Mokoena",
    "Beatriz Silva",
    "Ravi Kumar",
    "Emily Chen",
)


@dataclass(frozen=True)
class TeamSpec:
    """A support team: how many agents it has at each tier, where they sit, what they know."""

    name: str
    tiers: tuple[int, int, int]  # agents at L1, L2, L3
    timezones: tuple[str, ...]
    core: tuple[str, ...]  # the skills the team is there for, most central first


# 20 L1, 13 L2, 7 L3. The Service Desk is all L1 and follows the sun across three regions.
TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        "Service Desk",
        (12, 0, 0),
        ("Europe/London", "America/New_York", "Asia/Kolkata", "Europe/Lisbon", "Asia/Manila"),
        (
            "Password Reset",
            "Multi-Factor Authentication",
            "Outlook",
            "Microsoft Teams",
            "Windows 11",
            "Print Queues",
            "Software Installation",
            "VPN",
            "Wi-Fi",
            "Microsoft 365 Apps",
            "Access Requests",
            "Monitors & Docking Stations",
            "Peripherals",
            "Laptops",
            "OneDrive",
            "Mobile Devices",
            "Shared Mailboxes",
            "Phishing",
            "File Shares",
            "Backup & Restore",
            "BitLocker",
            "Concur",
            "Follow-Me Printing",
        ),
    ),
    TeamSpec(
        "Workplace",
        (4, 4, 0),
        ("Europe/Berlin", "America/Chicago", "Europe/London"),
        (
            "Windows 11",
            "Windows 10",
            "Intune",
            "Device Drivers",
            "macOS",
            "Jamf",
            "SCCM",
            "BitLocker",
            "Software Installation",
            "Network Printers",
            "Print Queues",
            "Scan to Email",
            "Follow-Me Printing",
            "Laptops",
            "Monitors & Docking Stations",
            "Warranty & RMA",
            "Mobile Devices",
            "Microsoft Teams",
            "Zoom",
            "OneDrive",
            "SharePoint",
            "Microsoft 365 Apps",
            "Linux Desktop",
            "Teams Phone",
        ),
    ),
    TeamSpec(
        "Network",
        (1, 2, 2),
        ("Europe/Amsterdam", "America/New_York", "Asia/Singapore"),
        (
            "VPN",
            "Cisco AnyConnect",
            "Cisco ASA",
            "GlobalProtect",
            "Palo Alto Firewalls",
            "Firewalls",
            "DNS",
            "DHCP",
            "Wi-Fi",
            "Switching & Routing",
            "Proxies",
            "Load Balancers",
            "VoIP",
            "Contact Center",
            "Certificates",
        ),
    ),
    TeamSpec(
        "Identity",
        (1, 2, 1),
        ("Europe/Dublin", "America/Toronto"),
        (
            "Entra ID",
            "Active Directory",
            "Multi-Factor Authentication",
            "Single Sign-On",
            "SAML",
            "Okta",
            "Group Policy",
            "LDAP",
            "Privileged Access",
            "Access Requests",
            "Exchange Online",
            "Shared Mailboxes",
            "Mail Filtering",
            "Password Reset",
            "Certificates",
        ),
    ),
    TeamSpec(
        "Cloud & Data",
        (0, 2, 2),
        ("Europe/Stockholm", "America/Los_Angeles", "Asia/Kolkata"),
        (
            "Kubernetes",
            "AWS",
            "Azure",
            "PostgreSQL",
            "SQL Server",
            "Query Performance",
            "Database Backups",
            "Docker",
            "Terraform",
            "CI/CD Pipelines",
            "Oracle Database",
            "MySQL",
            "Google Cloud",
            "NAS & SAN",
            "Backup & Restore",
            "File Shares",
        ),
    ),
    TeamSpec(
        "Security",
        (1, 1, 1),
        ("Europe/London", "America/New_York"),
        (
            "Malware",
            "EDR",
            "Phishing",
            "Vulnerability Patching",
            "SIEM",
            "Certificates",
            "Data Loss Prevention",
            "Mail Filtering",
            "Privileged Access",
            "Firewalls",
        ),
    ),
    TeamSpec(
        "Business Apps",
        (1, 2, 1),
        ("Europe/Berlin", "America/Sao_Paulo"),
        (
            "SAP",
            "Salesforce",
            "Workday",
            "ERP Systems",
            "Jira",
            "Confluence",
            "ServiceNow",
            "HR Systems",
            "Concur",
            "Single Sign-On",
            "SQL Server",
            "SharePoint",
        ),
    ),
)

# ---------------------------------------------------------------------------------- tickets

# Realistic mix for an internal service desk: P1 rare, most tickets P3.
DEFAULT_PRIORITY_WEIGHTS: tuple[float, float, float, float] = (0.03, 0.15, 0.55, 0.27)
_P_URGENT = (0.10, 0.35, 0.45, 0.10)
_P_SECURITY = (0.12, 0.45, 0.38, 0.05)
_P_LOW = (0.0, 0.05, 0.45, 0.50)


@dataclass(frozen=True)
class Case:
    """One concrete problem: what the requester writes, its cause, and what fixed it.

    ``body`` may use ``{since}``, ``{where}`` (somewhere outside the office), ``{office}`` and
    ``{device}``. ``cause`` is a noun phrase an expert can say in the swarm room ("Seen this
    before — it's usually {cause}.").
    """

    subject: str
    body: str
    cause: str
    resolution: str


@dataclass(frozen=True)
class TicketTemplate:
    """A kind of ticket. ``difficulty`` 1 is first-line work, 3 needs a specialist.

    ``skills`` are the required skills with weights (the first is the main one); ``vendors``
    are who a tier-4 hand-off goes to (none: never handed off).
    """

    key: str
    skills: tuple[tuple[str, float], ...]
    difficulty: int
    weight: float
    cases: tuple[Case, ...]
    priorities: tuple[float, float, float, float] = DEFAULT_PRIORITY_WEIGHTS
    vendors: tuple[str, ...] = ()

    @property
    def complexity(self) -> int:
        """1 simple, 2 moderate, 3 complex: the tier that can solve it, one more when it spans
        three skills or more (more than one person's knowledge), at most 3."""
        return min(3, self.difficulty + (len(self.skills) >= 3))


COMPLEXITY_NAMES: dict[int, str] = {1: "simple", 2: "moderate", 3: "complex"}


FILLERS: dict[str, tuple[str, ...]] = {
    "since": (
        "since this morning",
        "since yesterday afternoon",
        "since the update last night",
        "for about an hour now",
        "on and off all week",
        "since the weekend",
    ),
    "where": ("from home", "from a hotel", "at the airport", "at a customer site"),
    "office": (
        "in the Berlin office",
        "in the London office",
        "in the Lisbon office",
        "in the Chicago office",
        "on the 4th floor",
    ),
    "device": (
        "my laptop",
        "my ThinkPad",
        "my MacBook",
        "my Dell Latitude",
        "the loaner laptop",
        "my desktop PC",
    ),
}

SIGN_OFFS: tuple[str, ...] = ("Thanks", "Thanks in advance", "Cheers", "Regards", "Many thanks")

C = Case
T = TicketTemplate

TEMPLATES: tuple[TicketTemplate, ...] = (
    # ------------------------------------------------------------- identity and access
    T(
        "password_locked",
        (("Password Reset", 1.0), ("Active Directory", 0.5)),
        1,
        6.0,
        (
            C(
                "Locked out of my account",
                "I can't sign in to {device} {since}. It says my account is locked.",
                "a phone still syncing mail with the old password",
                "Unlocked the account; the phone's mail app still had the old password and kept "
                "re-locking it, so removed and re-added the account on the phone.",
            ),
            C(
                "Password expired and I can't change it",
                "My password expired while I was away and the change screen rejects every new "
                "password. I'm working {where}.",
                "the password history rule rejecting variations of old passwords",
                "Explained the password rules (no reuse of the last 12) and reset it with the "
                "user on the phone.",
            ),
            C(
                "Forgot my password after holiday",
                "Back from two weeks off and I can't remember my password. Can you reset it?",
                "nothing more than a forgotten password",
                "Verified identity by video call and walked the user through self-service "
                "password reset, so next time they can do it themselves.",
            ),
        ),
    ),
    T(
        "mfa_device",
        (("Multi-Factor Authentication", 1.0), ("Entra ID", 0.5)),
        1,
        4.0,
        (
            C(
                "New phone – Authenticator codes no longer work",
                "I switched phones {since} and now the Authenticator app shows no account. I "
                "can't get into e-mail.",
                "an MFA registration still bound to the old phone",
                "Verified identity by video call, removed the old MFA method and re-registered "
                "Authenticator on the new phone.",
            ),
            C(
                "MFA prompt never arrives",
                "When I sign in it says a notification was sent, but nothing shows up on my "
                "phone. I'm {where}.",
                "battery optimisation stopping the Authenticator app in the background",
                "Battery optimisation was killing the Authenticator app; excluded it and "
                "switched the user to number matching.",
            ),
            C(
                "Lost my phone, can't sign in with MFA",
                "I lost my phone at the airport yesterday and now I can't sign in anywhere.",
                "a lost device that still holds the only MFA method",
                "Issued a temporary access pass, removed the lost phone's methods and wiped it "
                "through Intune.",
            ),
        ),
    ),
    T(
        "saml_sso",
        (("SAML", 1.0), ("Single Sign-On", 0.7), ("Certificates", 0.4)),
        3,
        1.5,
        (
            C(
                "Salesforce SSO fails with 'Invalid SAML response'",
                "Since this morning nobody in my team can sign in to Salesforce; we get "
                "'Invalid SAML response'.",
                "a rolled-over IdP signing certificate",
                "The IdP signing certificate had rolled over; uploaded the new certificate to "
                "the service provider and verified sign-in for three users.",
            ),
            C(
                "SSO login loop on the supplier portal",
                "Sign-in to the supplier portal redirects back and forth until the browser "
                "gives up. Same on {device} and on my phone.",
                "clock skew on the ADFS servers",
                "The ADFS servers had drifted four minutes (NTP source unreachable), so "
                "assertions were rejected; fixed NTP.",
            ),
        ),
        _P_URGENT,
        ("Okta Support",),
    ),
    T(
        "access_request",
        (("Access Requests", 1.0), ("Active Directory", 0.6)),
        1,
        4.0,
        (
            C(
                "Need access to the Finance shared drive",
                "My manager approved it by e-mail (attached). I need it for the quarter-end close.",
                "group membership that only applies after a fresh sign-in",
                "Added the user to the Finance share group after checking the approval; asked "
                "them to sign out and back in.",
            ),
            C(
                "Please add me to the Marketing distribution list",
                "I joined Marketing last week but I don't get the team's e-mails.",
                "a distribution list owned by someone who left",
                "Added the user to the list and moved its ownership to the Marketing lead.",
            ),
            C(
                "New joiner needs the same access as her team",
                "Ana starts on Monday in Customer Success. Can she get the same access as the "
                "rest of the team?",
                "a missing role template for the team",
                "Applied the Customer Success role template and confirmed access with the manager.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "conditional_access",
        (("Entra ID", 1.0), ("Intune", 0.6), ("Multi-Factor Authentication", 0.4)),
        2,
        2.0,
        (
            C(
                "Blocked by conditional access on new laptop",
                "Teams and Outlook refuse to sign in on my new laptop, saying the device must "
                "be compliant.",
                "a device that isn't compliant yet in Intune",
                "The device hadn't reported compliance yet; forced an Intune sync and it passed "
                "the conditional access policy.",
            ),
            C(
                "'You can't get there from here' in Outlook on the web",
                "I get 'You can't get there from here' on {device} {since}. It works on my phone.",
                "a device that is registered but not joined",
                "The laptop was only registered, not joined to Entra ID; re-joined it.",
            ),
        ),
    ),
    T(
        "ldap_bind",
        (("LDAP", 1.0), ("Active Directory", 0.6), ("Certificates", 0.4)),
        3,
        1.0,
        (
            C(
                "Jenkins can't authenticate users against LDAP anymore",
                "Our build server stopped accepting logins {since}. The log shows 'LDAP: error "
                "code 49'.",
                "an expired service-account password",
                "The bind account's password had expired; rotated it, stored it in the vault and "
                "moved the account under the service-account policy.",
            ),
            C(
                "LDAPS bind failing after domain controller update",
                "The asset tool's LDAPS connection fails with a certificate error since the DCs "
                "were patched.",
                "a missing intermediate CA in the application's trust store",
                "The new DC certificates chain to a new intermediate CA; imported it into the "
                "application's trust store.",
            ),
        ),
    ),
    T(
        "local_admin",
        (("Privileged Access", 1.0), ("Software Installation", 0.5)),
        2,
        1.5,
        (
            C(
                "Need temporary admin rights to install a driver",
                "I need to install the driver for a lab instrument on {device}; it asks for an "
                "admin password.",
                "a driver nobody packaged yet",
                "Granted four hours of local admin through the PAM tool; the user installed the "
                "driver and the rights expired on their own.",
            ),
            C(
                "Developer needs local admin for Docker Desktop",
                "Docker Desktop needs admin rights to install its service. Can I get them for "
                "a day?",
                "an installer that Software Center could run instead",
                "Deployed the packaged Docker Desktop from Software Center instead; no admin "
                "rights needed.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "gpo",
        (("Group Policy", 1.0), ("Windows", 0.6)),
        2,
        1.0,
        (
            C(
                "New lock-screen policy not applied on our floor",
                "The new lock-screen policy works for others but not on {device}.",
                "blocked inheritance on the OU",
                "The department OU had inheritance blocked; removed the block and ran gpupdate.",
            ),
            C(
                "Group policy not applying to new laptops",
                "Laptops in the new OU still show the old settings after several reboots.",
                "a WMI filter that excludes Windows 11",
                "A WMI filter on the GPO only matched Windows 10; fixed the filter.",
            ),
        ),
        _P_LOW,
    ),
    # ------------------------------------------------------------------------ networking
    T(
        "vpn_connect",
        (("VPN", 1.0), ("Cisco AnyConnect", 0.8), ("Wi-Fi", 0.3)),
        1,
        5.0,
        (
            C(
                "Cannot connect to VPN from hotel Wi-Fi",
                "I'm at a hotel and the VPN won't connect, although web pages open fine.",
                "the hotel's captive portal",
                "The hotel's captive portal hadn't been accepted; opened it in a browser, then "
                "the VPN connected.",
            ),
            C(
                "VPN says 'Login failed' since this morning",
                "AnyConnect on {device} fails with 'Login failed'. I'm sure the password is right.",
                "a VPN group membership lost in a role change",
                "The user's VPN group membership had lapsed with a role change; re-added it.",
            ),
        ),
    ),
    T(
        "vpn_drops",
        (("Cisco AnyConnect", 1.0), ("Cisco ASA", 0.6), ("VPN", 0.5)),
        3,
        1.5,
        (
            C(
                "AnyConnect disconnects exactly every 60 minutes",
                "Every hour on the hour the VPN drops and reconnects, killing my RDP sessions.",
                "a rekey timer on the ASA tunnel group",
                "The tunnel group's rekey timer had been set to 60 minutes in the last change; "
                "restored the standard value.",
            ),
            C(
                "VPN drops for everyone in the Lisbon office",
                "The VPN disconnects every few minutes {since}. Everybody here has the same "
                "problem.",
                "DTLS being dropped by the office ISP",
                "The office ISP dropped DTLS; lowered the MTU and allowed TLS fallback. Cisco "
                "TAC confirmed the behaviour and the fixed release.",
            ),
        ),
        _P_URGENT,
        ("Cisco TAC",),
    ),
    T(
        "globalprotect",
        (("GlobalProtect", 1.0), ("VPN", 0.6), ("Multi-Factor Authentication", 0.3)),
        2,
        1.5,
        (
            C(
                "GlobalProtect stuck on 'Connecting…'",
                "GlobalProtect spins on 'Connecting…' forever on {device}.",
                "an outdated client failing the HIP check",
                "The client version was rejected by the new HIP check; upgraded it.",
            ),
            C(
                "GlobalProtect portal certificate warning",
                "I get a certificate warning every time GlobalProtect connects to the portal.",
                "a portal certificate served without its intermediate",
                "The renewed portal certificate was installed without its intermediate; fixed "
                "the chain.",
            ),
        ),
    ),
    T(
        "dns",
        (("DNS", 1.0), ("DHCP", 0.4)),
        2,
        2.0,
        (
            C(
                "Internal sites not resolving ('server not found')",
                "Internal websites say 'server not found' {since}, but public sites work. I'm "
                "{where}.",
                "a stale conditional forwarder",
                "A conditional forwarder still pointed at a decommissioned DNS server; removed "
                "it and flushed the resolver caches.",
            ),
            C(
                "Intranet still opens the old server",
                "The intranet was migrated on Friday but I still land on the old site.",
                "a week-long TTL on the old record",
                "The record had a one-week TTL; updated it, lowered the TTL and flushed caches.",
            ),
        ),
    ),
    T(
        "dhcp",
        (("DHCP", 1.0), ("Switching & Routing", 0.4)),
        2,
        1.0,
        (
            C(
                "Laptop gets a 169.254 address in meeting room 3B",
                "When I plug in {office}, meeting room 3B, I get a 169.254 address and no network.",
                "an exhausted DHCP scope",
                "The scope for that VLAN was exhausted; shortened the lease time and extended "
                "the scope.",
            ),
            C(
                "No network on the docks in the new wing",
                "None of the desks in the new wing get an IP address on their docks.",
                "a missing DHCP relay on the new switch",
                "The new switch's VLAN interface had no DHCP relay (ip helper); added it.",
            ),
        ),
    ),
    T(
        "wifi",
        (("Wi-Fi", 1.0), ("Switching & Routing", 0.3)),
        1,
        3.0,
        (
            C(
                "Wi-Fi very slow on the 4th floor",
                "The Wi-Fi {office} is barely usable {since}; video calls freeze.",
                "an access point stuck on 2.4 GHz",
                "One access point had come back on 2.4 GHz only after a power cut; rebooted it "
                "and fixed the channel plan.",
            ),
            C(
                "Corporate Wi-Fi asks me to trust a certificate",
                "{device} asks me to trust a certificate before joining the corporate Wi-Fi.",
                "a renewed RADIUS certificate that isn't trusted yet",
                "The RADIUS certificate was renewed; pushed the updated Wi-Fi profile.",
            ),
            C(
                "Visitors can't join the guest Wi-Fi",
                "Our visitors never receive the guest Wi-Fi code by SMS.",
                "an SMS gateway with an expired API key",
                "The guest portal's SMS gateway key had expired; renewed it.",
            ),
        ),
    ),
    T(
        "firewall_rule",
        (("Firewalls", 1.0), ("Palo Alto Firewalls", 0.5)),
        2,
        1.5,
        (
            C(
                "Please open port 8443 to the new vendor API",
                "Our integration needs outbound HTTPS on 8443 to the vendor. The change was "
                "approved by the CAB.",
                "a missing outbound rule",
                "Added an outbound rule for the vendor's address range on 8443, scoped to the "
                "integration servers.",
            ),
            C(
                "Supplier portal blocked from the warehouse network",
                "The warehouse scanners can't reach the supplier portal {since}.",
                "a new URL category block",
                "A new URL category blocked the portal; added an exception.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "proxy",
        (("Proxies", 1.0), ("Certificates", 0.4)),
        2,
        1.5,
        (
            C(
                "Website blocked by the proxy but needed for work",
                "The proxy blocks a supplier's site we need for orders.",
                "a miscategorised site",
                "Recategorised the site with the proxy vendor and allowed it meanwhile.",
            ),
            C(
                "Certificate errors on every website",
                "Every website shows a certificate error on {device} {since}.",
                "a missing SSL-inspection root certificate",
                "The SSL-inspection root certificate was missing after a re-image; redeployed it.",
            ),
        ),
    ),
    T(
        "load_balancer",
        (("Load Balancers", 1.0), ("Certificates", 0.5), ("Kubernetes", 0.3)),
        3,
        0.8,
        (
            C(
                "Intermittent 502 errors on the customer portal",
                "About one request in ten returns 502 on the customer portal {since}.",
                "a health monitor still checking the old path",
                "A health monitor still checked the old path, so one pool member flapped; "
                "updated the monitor.",
            ),
            C(
                "Users stuck on a single backend after deploy",
                "After yesterday's deploy all traffic goes to one node; the others are idle.",
                "source-IP persistence behind the CDN",
                "Persistence was on source IP, which is the CDN's; switched to cookie persistence.",
            ),
        ),
        _P_URGENT,
        ("F5 Support",),
    ),
    # ---------------------------------------------------------------- email and collaboration
    T(
        "outlook_password",
        (("Outlook", 1.0), ("Exchange Online", 0.6), ("Entra ID", 0.3)),
        1,
        5.0,
        (
            C(
                "Outlook keeps asking for password",
                "Outlook on {device} keeps popping up a password prompt {since}. Entering it "
                "doesn't help.",
                "stale credentials in Credential Manager",
                "Removed stale credentials from Credential Manager and re-created the Outlook "
                "profile; modern authentication now signs in silently.",
            ),
            C(
                "Outlook 'Need password' after password change",
                "Since I changed my password, Outlook shows 'Need password' in the status bar.",
                "a second, old work account signed in to Windows",
                "Windows had the work account signed in twice; removed the old one and "
                "Outlook reconnected.",
            ),
        ),
    ),
    T(
        "outlook_sync",
        (("Outlook", 1.0), ("Exchange Online", 0.5)),
        1,
        3.0,
        (
            C(
                "Outlook not receiving new emails",
                "No new mail in Outlook {since}, but Outlook on the web shows it.",
                "an OST file at its size limit",
                "The OST file had reached its limit; rebuilt it and set cached mode to 12 months.",
            ),
            C(
                "Calendar invites not showing in Outlook",
                "Meeting invites only appear on my phone, not in Outlook on {device}.",
                "a broken add-in blocking synchronisation",
                "A meeting-room add-in crashed the sync; disabled it and reported it to the "
                "vendor.",
            ),
        ),
    ),
    T(
        "shared_mailbox",
        (("Shared Mailboxes", 1.0), ("Access Requests", 0.5)),
        1,
        2.5,
        (
            C(
                "Shared mailbox not showing in Outlook",
                "I was given access to the team mailbox but it doesn't appear in Outlook.",
                "Full Access granted through a group, which never automaps",
                "Access was granted via a group, so automapping doesn't apply; added the "
                "mailbox to the profile by hand.",
            ),
            C(
                "Can't send as the support@ mailbox",
                "Sending from support@ fails with 'You don't have permission to send as this "
                "sender'.",
                "Full Access without Send As",
                "Granted Send As in addition to Full Access.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "mail_flow",
        (("Exchange Online", 1.0), ("Mail Filtering", 0.6)),
        2,
        1.5,
        (
            C(
                "Emails to a customer bounce with 550 5.7.1",
                "Everything we send to one customer bounces with '550 5.7.1 rejected'.",
                "an SPF record that lost an include",
                "Our SPF record had lost the include for the marketing sender; fixed it and "
                "asked the customer to retry.",
            ),
            C(
                "External emails delayed by hours",
                "External mail arrives two or three hours late {since}.",
                "a transport rule using a retired connector",
                "A transport rule still routed mail through a retired connector; removed it.",
            ),
        ),
        _P_URGENT,
        ("Microsoft Support",),
    ),
    T(
        "quarantine",
        (("Mail Filtering", 1.0), ("Phishing", 0.4)),
        1,
        1.5,
        (
            C(
                "Invoice email from supplier stuck in quarantine",
                "Our supplier says they sent the invoice twice; I never got it.",
                "a PDF attachment matching a malware heuristic",
                "Checked headers and attachment, released the message and allowed the "
                "supplier's domain.",
            ),
            C(
                "Newsletter going to junk for everyone",
                "The industry newsletter lands in junk for the whole department.",
                "the bulk-mail threshold",
                "Raised the bulk-mail threshold for that sender.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "teams_meeting",
        (("Microsoft Teams", 1.0), ("Peripherals", 0.4)),
        1,
        3.0,
        (
            C(
                "Teams: others can't hear me in meetings",
                "In Teams meetings nobody hears me {since}, although the headset works elsewhere.",
                "Teams using the wrong microphone",
                "Teams was using the laptop's disabled microphone; selected the headset and "
                "cleared the Teams cache.",
            ),
            C(
                "Teams crashes when I share my screen",
                "Teams crashes as soon as I share my screen on {device}.",
                "an old graphics driver",
                "Updated the graphics driver; sharing works again.",
            ),
            C(
                "Teams camera not detected",
                "Teams says no camera was found, but the camera app works.",
                "camera access switched off for desktop apps",
                "Camera privacy settings blocked desktop apps; re-enabled them.",
            ),
        ),
    ),
    T(
        "sharepoint_access",
        (("SharePoint", 1.0), ("Access Requests", 0.5)),
        2,
        2.0,
        (
            C(
                "Access denied on the HR SharePoint site",
                "I get 'Access denied' on the HR site although my colleagues can open it.",
                "broken permission inheritance on a library",
                "The library had broken inheritance; restored it and added the HR group.",
            ),
            C(
                "SharePoint library shows 'Something went wrong'",
                "The project library shows 'Something went wrong' {since}.",
                "the list view threshold",
                "The default view exceeded the list view threshold; added an index and a "
                "filtered view.",
            ),
        ),
    ),
    T(
        "onedrive_sync",
        (("OneDrive", 1.0), ("SharePoint", 0.5)),
        1,
        2.0,
        (
            C(
                "OneDrive sync stuck with red crosses",
                "OneDrive shows red crosses on dozens of files {since}.",
                "file names with characters SharePoint doesn't accept",
                "Renamed files with invalid characters; sync resumed.",
            ),
            C(
                "Files disappeared from my Desktop after OneDrive setup",
                "After OneDrive was set up on {device}, my Desktop files are gone.",
                "known-folder move",
                "Known-folder move had redirected the Desktop into OneDrive; showed the user "
                "where the files are.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "zoom_room",
        (("Zoom", 1.0), ("Peripherals", 0.3)),
        2,
        1.0,
        (
            C(
                "Zoom Room in the boardroom won't start meetings",
                "The boardroom Zoom Room is stuck on 'Connecting' and the board meets at 2pm.",
                "a controller that lost its pairing",
                "The room controller lost its pairing after a firmware update; re-paired it.",
            ),
            C(
                "Echo in every Zoom meeting from the big room",
                "There is a loud echo in every Zoom meeting from the large room {office}.",
                "two active microphones in the room",
                "Both the ceiling and table microphones were active; disabled the ceiling one.",
            ),
        ),
        _P_URGENT,
        ("Zoom Support",),
    ),
    T(
        "office_apps",
        (("Microsoft 365 Apps", 1.0),),
        1,
        2.0,
        (
            C(
                "Excel says 'Unlicensed Product'",
                "Excel shows a red 'Unlicensed Product' bar {since}.",
                "a stale licence token",
                "Signed out of Office, cleared the licence cache and signed in again.",
            ),
            C(
                "Word crashes when opening attachments",
                "Word crashes whenever I open a document from an e-mail.",
                "a damaged Office installation",
                "Ran an online repair of Microsoft 365 Apps.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "exchange_incident",
        (("Exchange Online", 1.0), ("Outlook", 0.6)),
        2,
        0.0,  # never drawn at random: only the incident burst uses it
        (
            C(
                "Outlook says 'Disconnected'",
                "Outlook shows 'Disconnected' and nothing sends. Colleagues have the same.",
                "the Exchange Online incident on the service health page",
                "Microsoft service incident in Exchange Online (EMEA); monitored until service "
                "was restored, then Outlook reconnected by itself.",
            ),
            C(
                "Can't send or receive email",
                "Nobody around me can send e-mail right now. Is there an outage?",
                "the Exchange Online incident on the service health page",
                "Microsoft service incident in Exchange Online (EMEA); monitored until service "
                "was restored, then Outlook reconnected by itself.",
            ),
        ),
        (0.0, 1.0, 0.0, 0.0),
        ("Microsoft Support",),
    ),
    # ------------------------------------------------------------------------ endpoints
    T(
        "windows_update",
        (("Windows 11", 1.0), ("Windows", 0.5), ("Intune", 0.4)),
        2,
        2.0,
        (
            C(
                "Windows update stuck at 35% for hours",
                "{device} has been on 'Working on updates 35%' {since}.",
                "a corrupt update cache",
                "Cleared the SoftwareDistribution folder and reran the update.",
            ),
            C(
                "Laptop reboots in a loop after last night's update",
                "After the update my laptop restarts every time it reaches the login screen.",
                "a known-bad quality update",
                "Booted into recovery, removed the latest quality update and paused updates "
                "until the fixed build.",
            ),
        ),
    ),
    T(
        "bsod",
        (("Device Drivers", 1.0), ("Windows 11", 0.6), ("Monitors & Docking Stations", 0.4)),
        2,
        1.5,
        (
            C(
                "Blue screen when connecting to the dock",
                "{device} blue-screens whenever I plug in the dock.",
                "old dock firmware",
                "Updated the dock firmware and the Thunderbolt driver; no crash since.",
            ),
            C(
                "BSOD DRIVER_IRQL_NOT_LESS_OR_EQUAL several times a day",
                "Four blue screens today; the code is DRIVER_IRQL_NOT_LESS_OR_EQUAL.",
                "the VPN client's filter driver",
                "The crash dumps pointed at the VPN filter driver; updated the VPN client.",
            ),
        ),
    ),
    T(
        "bitlocker",
        (("BitLocker", 1.0), ("Intune", 0.5)),
        1,
        2.0,
        (
            C(
                "Laptop asks for BitLocker recovery key",
                "{device} asks for a 48-digit recovery key at start-up.",
                "the TPM seeing a changed boot configuration",
                "Verified identity, read out the recovery key from Entra ID, and rotated it "
                "after use as policy requires.",
            ),
            C(
                "BitLocker recovery screen after BIOS update",
                "After the BIOS update I get the BitLocker recovery screen at every boot.",
                "a BIOS update applied without suspending BitLocker",
                "Entered the recovery key, then suspended and resumed protection to reseal "
                "the TPM.",
            ),
        ),
    ),
    T(
        "autopilot",
        (("Intune", 1.0), ("Entra ID", 0.4), ("Mobile Devices", 0.3)),
        2,
        1.5,
        (
            C(
                "New laptop stuck on 'Setting up your device'",
                "My new laptop has been on the Autopilot setup screen for two hours.",
                "a failed required app on the enrolment status page",
                "A required app failed and blocked the enrolment status page; fixed the app "
                "assignment and re-ran Autopilot.",
            ),
            C(
                "Device shows as non-compliant in Company Portal",
                "Company Portal says {device} is not compliant, so I can't open Outlook.",
                "a compliance rule on the minimum OS build",
                "The device was below the minimum OS build; installed the update and it "
                "became compliant.",
            ),
        ),
    ),
    T(
        "mac",
        (("macOS", 1.0), ("Jamf", 0.6)),
        2,
        1.5,
        (
            C(
                "MacBook keeps asking for keychain password",
                "My Mac asks for the 'login' keychain password all the time {since}.",
                "a login keychain out of sync after a password change",
                "The login keychain still had the old password; reset it.",
            ),
            C(
                "Can't install apps from Self Service on my Mac",
                "Self Service shows an error when I try to install Zoom.",
                "a broken Jamf framework",
                "The Jamf framework was broken; re-enrolled the Mac.",
            ),
        ),
    ),
    T(
        "software_install",
        (("Software Installation", 1.0), ("SCCM", 0.5)),
        1,
        3.0,
        (
            C(
                "Please install Visio on my laptop",
                "I need Visio for my new role; my manager has approved it.",
                "a licence that needs assigning first",
                "Assigned a licence and deployed Visio through Software Center.",
            ),
            C(
                "Software Center install fails with 0x87D00607",
                "Installing Tableau from Software Center fails with 0x87D00607 on {device}.",
                "missing content on the distribution point",
                "The distribution point had no content for the package; redistributed it and "
                "the install succeeded.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "linux",
        (("Linux Desktop", 1.0), ("VPN", 0.4)),
        2,
        0.8,
        (
            C(
                "Ubuntu laptop can't connect to VPN after kernel update",
                "After the latest kernel update my Ubuntu laptop can't bring the VPN up.",
                "a DKMS module not rebuilt for the new kernel",
                "Rebuilt the VPN's kernel module for the new kernel with DKMS.",
            ),
            C(
                "Fedora workstation lost Wi-Fi after upgrade",
                "Wi-Fi disappeared after upgrading Fedora {since}.",
                "a missing firmware package",
                "Installed the missing firmware package for the Wi-Fi card.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "mobile",
        (("Mobile Devices", 1.0), ("Intune", 0.6), ("Exchange Online", 0.3)),
        1,
        1.5,
        (
            C(
                "Work email not syncing on my iPhone",
                "Outlook on my iPhone hasn't synced {since}.",
                "an app protection policy requiring a newer iOS",
                "The app protection policy required a newer iOS; the user updated the phone.",
            ),
            C(
                "Android work profile asks to be reset",
                "My Android phone says the work profile must be reset.",
                "a work profile left behind by a failed update",
                "Backed up the user's data and re-enrolled the work profile.",
            ),
        ),
        _P_LOW,
    ),
    # ------------------------------------------------------------------------- printing
    T(
        "print_queue",
        (("Print Queues", 1.0), ("Network Printers", 0.5)),
        1,
        3.0,
        (
            C(
                "Print jobs stuck in queue",
                "My print jobs sit in the queue and never print {since}.",
                "a stuck job blocking the spooler",
                "Restarted the print spooler on the print server and cleared the stuck job.",
            ),
            C(
                "Printer shows offline on my laptop",
                "The printer {office} shows as offline on {device}.",
                "an old driver package",
                "Re-added the printer from the print server with the current driver.",
            ),
        ),
        _P_LOW,
        ("HP Support",),
    ),
    T(
        "printer_hardware",
        (("Network Printers", 1.0), ("Warranty & RMA", 0.4)),
        2,
        1.5,
        (
            C(
                "Big printer jams on every job",
                "The big printer {office} jams on every job {since}.",
                "a worn pickup roller",
                "The vendor's engineer replaced the worn pickup roller.",
            ),
            C(
                "Printer prints blank pages after toner change",
                "Since the toner was replaced, every page comes out blank.",
                "a toner seal that was never pulled",
                "The new toner's seal hadn't been removed; fixed on site.",
            ),
        ),
        _P_LOW,
        ("Ricoh Service", "HP Support"),
    ),
    T(
        "scan_to_email",
        (("Scan to Email", 1.0), ("Exchange Online", 0.5)),
        2,
        1.5,
        (
            C(
                "Scan to email stopped working on all printers",
                "Scanning to e-mail fails on every printer {since}.",
                "basic SMTP authentication being switched off",
                "Basic SMTP authentication was switched off for the tenant; moved the printers "
                "to the SMTP relay connector.",
            ),
            C(
                "Scanner says 'SMTP authentication failed'",
                "The scanner {office} shows 'SMTP authentication failed'.",
                "an expired scanner account password",
                "The scanner account's password had expired; rotated it on all devices.",
            ),
        ),
    ),
    T(
        "follow_me",
        (("Follow-Me Printing", 1.0), ("Network Printers", 0.5)),
        1,
        1.0,
        (
            C(
                "Badge not recognised at the printer",
                "The printer says my badge is unknown {since}.",
                "a replaced badge with a new number",
                "Registered the new badge number in PaperCut.",
            ),
            C(
                "Secure print jobs disappear before I can release them",
                "My jobs are gone when I get to the printer a few minutes later.",
                "the job retention setting",
                "Job retention had been set to 5 minutes; set it back to 4 hours.",
            ),
        ),
        _P_LOW,
    ),
    # ------------------------------------------------------------------------ databases
    T(
        "db_slow",
        (("Query Performance", 1.0), ("PostgreSQL", 0.7)),
        3,
        1.0,
        (
            C(
                "Reporting database extremely slow since Monday",
                "Reports that took seconds now take minutes {since}.",
                "a missing index after the last migration",
                "The last migration dropped an index, causing sequential scans; recreated it "
                "concurrently and analysed the table.",
            ),
            C(
                "Order search times out",
                "Searching orders times out after 30 seconds for the whole sales team.",
                "autovacuum falling behind on the orders table",
                "Autovacuum had fallen behind on the orders table; vacuumed it and tuned the "
                "thresholds.",
            ),
        ),
        _P_URGENT,
    ),
    T(
        "db_connections",
        (("PostgreSQL", 1.0), ("Load Balancers", 0.3)),
        2,
        1.0,
        (
            C(
                "App can't connect: 'too many clients'",
                "Our app fails with 'FATAL: sorry, too many clients already' {since}.",
                "a job leaking connections",
                "A batch job leaked connections; fixed its pool size and put PgBouncer in front.",
            ),
            C(
                "Replica lagging hours behind primary",
                "The read replica is hours behind, so dashboards show yesterday's data.",
                "a long-running transaction blocking replay",
                "A long-running query on the replica blocked replay; terminated it and set a "
                "statement timeout.",
            ),
        ),
        _P_URGENT,
    ),
    T(
        "sql_server",
        (("SQL Server", 1.0), ("Database Backups", 0.5)),
        3,
        1.0,
        (
            C(
                "SQL Agent backup job failing every night",
                "The nightly backup job fails with 'Operating system error 112'.",
                "a full backup volume",
                "The backup volume was full; archived old backups and fixed the retention job.",
            ),
            C(
                "Transaction log full on the finance SQL Server",
                "Finance can't post entries: 'The transaction log for database is full'.",
                "log backups that stopped running",
                "Log backups had stopped; took a log backup, shrank the log and fixed the job.",
            ),
        ),
        _P_URGENT,
    ),
    T(
        "oracle",
        (("Oracle Database", 1.0), ("Database Backups", 0.4)),
        3,
        0.7,
        (
            C(
                "ORA-01653 unable to extend table in the HR database",
                "The HR application shows ORA-01653 when saving.",
                "a full tablespace",
                "Added a data file to the tablespace and set up a capacity alert.",
            ),
            C(
                "Oracle listener refusing connections (TNS-12541)",
                "Nobody can connect to the HR database: TNS-12541 no listener.",
                "a listener bug after the last patch",
                "The listener crashed after the last patch; applied the one-off fix from "
                "Oracle Support.",
            ),
        ),
        _P_URGENT,
        ("Oracle Support",),
    ),
    T(
        "db_restore",
        (("Database Backups", 1.0), ("SQL Server", 0.5)),
        2,
        0.8,
        (
            C(
                "Need a restore of the CRM test DB to yesterday 17:00",
                "We need the test database as it was yesterday at 17:00 for a release rehearsal.",
                "a point-in-time restore",
                "Point-in-time restore of the test database completed and verified with the team.",
            ),
            C(
                "Accidentally deleted rows in the pricing table",
                "Someone ran a DELETE without WHERE on pricing. Please help!",
                "a point-in-time restore to a side database",
                "Restored to a side database just before the DELETE and copied the rows back.",
            ),
        ),
        _P_URGENT,
    ),
    # ---------------------------------------------------------------------------- cloud
    T(
        "aws_access",
        (("AWS", 1.0), ("Single Sign-On", 0.4)),
        2,
        1.0,
        (
            C(
                "Can't assume the deploy role in the AWS console",
                "Switching to the deploy role fails with 'Invalid information in one or more "
                "fields'.",
                "a role trust policy missing the new permission set",
                "The role's trust policy didn't include the new SSO permission set; updated it.",
            ),
            C(
                "S3 bucket access denied for the analytics job",
                "Our analytics job gets AccessDenied on the S3 bucket {since}.",
                "a bucket policy denying non-TLS requests",
                "A new bucket policy denies non-TLS requests and the job used an old SDK; "
                "upgraded it.",
            ),
        ),
    ),
    T(
        "azure",
        (("Azure", 1.0), ("Entra ID", 0.4), ("Terraform", 0.3)),
        2,
        1.0,
        (
            C(
                "Azure quota reached, can't create VM",
                "Creating a VM fails: 'Operation could not be completed as it results in "
                "exceeding approved quota'.",
                "a regional vCPU quota",
                "Requested a quota increase for that VM family in the region.",
            ),
            C(
                "Terraform apply fails with Azure authorization error",
                "Our pipeline's terraform apply fails with AuthorizationFailed {since}.",
                "an expired service principal secret",
                "The service principal's secret had expired; rotated it and moved the pipeline "
                "to workload identity federation.",
            ),
        ),
    ),
    T(
        "kubernetes",
        (("Kubernetes", 1.0), ("Docker", 0.6), ("CI/CD Pipelines", 0.3)),
        3,
        1.0,
        (
            C(
                "Payments service pods in CrashLoopBackOff",
                "The payments pods restart continuously {since}; the service is degraded.",
                "OOM kills after a memory limit change",
                "The pods were OOM-killed after a memory limit change; restored the limit and "
                "added an alert.",
            ),
            C(
                "Ingress returns 404 after cluster upgrade",
                "After the cluster upgrade every route through the ingress returns 404.",
                "a renamed ingress class",
                "The upgrade changed the ingress class name; updated the ingress resources.",
            ),
        ),
        _P_URGENT,
    ),
    T(
        "cicd",
        (("CI/CD Pipelines", 1.0), ("Docker", 0.5)),
        2,
        1.0,
        (
            C(
                "All pipelines fail at 'docker login'",
                "Every pipeline fails at the docker login step {since}.",
                "an expired registry token",
                "The registry token had expired; rotated it in the pipeline secrets.",
            ),
            C(
                "Build agents stuck in queue since this morning",
                "Our builds have been queued for hours; no agent picks them up.",
                "an agent pool at its scaling limit",
                "The agent pool's scale set was at its maximum; raised the limit.",
            ),
        ),
    ),
    # ------------------------------------------------------------------------- security
    T(
        "phishing",
        (("Phishing", 1.0), ("Mail Filtering", 0.6), ("EDR", 0.3)),
        1,
        3.0,
        (
            C(
                "Suspicious email asking to verify my mailbox",
                "I got an e-mail saying my mailbox will be closed unless I verify it. Looks fake.",
                "a credential-harvesting page",
                "Confirmed phishing; purged it from all mailboxes and blocked the sender and URL.",
            ),
            C(
                "I clicked a link in a phishing email",
                "I clicked a link in an e-mail and typed my password before I realised. Sorry!",
                "a credential-harvesting page",
                "Reset the password, revoked sessions, checked sign-ins and mailbox rules, and "
                "purged the message tenant-wide.",
            ),
            C(
                "Fake DocuSign email sent to the whole team",
                "The whole team got a 'DocuSign' e-mail from a domain I don't recognise.",
                "a lookalike domain",
                "Removed the message tenant-wide and added the lookalike domain to the block list.",
            ),
        ),
        _P_SECURITY,
    ),
    T(
        "malware",
        (("Malware", 1.0), ("EDR", 0.8)),
        3,
        1.0,
        (
            C(
                "Antivirus alert: Trojan detected on my laptop",
                "A red security alert popped up saying a Trojan was found on {device}.",
                "a malicious browser extension",
                "Isolated the device with EDR, collected triage data, re-imaged the laptop and "
                "reset the user's credentials.",
            ),
            C(
                "Files renamed with a strange extension on the shared drive",
                "Files on the team share suddenly have a strange extension and won't open!",
                "a ransomware precursor on one workstation",
                "Contained the infected host, restored the affected folders from the last "
                "clean snapshot and blocked the hash everywhere.",
            ),
        ),
        (0.25, 0.50, 0.25, 0.0),
    ),
    T(
        "edr_block",
        (("EDR", 1.0), ("Software Installation", 0.4)),
        2,
        1.0,
        (
            C(
                "CrowdStrike quarantined our build tool",
                "Our build tool was quarantined {since}; builds fail.",
                "an unsigned binary",
                "Verified the binary's hash with the vendor and added a scoped exclusion.",
            ),
            C(
                "Defender blocks the new CAD plugin",
                "The CAD plugin won't start; Defender says it was blocked.",
                "a heuristic detection on a newly signed plugin",
                "The vendor re-signed the plugin; allowed the new certificate.",
            ),
        ),
    ),
    T(
        "vulnerability",
        (("Vulnerability Patching", 1.0), ("SCCM", 0.5), ("Windows", 0.3)),
        2,
        1.0,
        (
            C(
                "Critical CVE on our Java servers – need a patch plan",
                "The weekly scan reports a critical CVE on our application servers.",
                "an outdated Java runtime",
                "Patched the servers in the maintenance window and rescanned clean.",
            ),
            C(
                "Scan flags 40 laptops missing this month's patch",
                "The vulnerability report shows 40 laptops without this month's update.",
                "a device collection excluded from the deployment",
                "The laptops sat in a collection excluded from the deployment; fixed the "
                "collection and forced the update.",
            ),
        ),
        _P_SECURITY,
    ),
    T(
        "certificate_expiry",
        (("Certificates", 1.0), ("Load Balancers", 0.5)),
        2,
        1.0,
        (
            C(
                "Certificate expired on the supplier portal",
                "Suppliers report certificate errors on our portal {since}.",
                "an expired certificate on the load balancer",
                "Renewed the certificate, installed it on the load balancer and added it to "
                "expiry monitoring.",
            ),
            C(
                "Browser warns NET::ERR_CERT_DATE_INVALID on the intranet",
                "The intranet shows a certificate warning in every browser.",
                "an expired certificate on the load balancer",
                "Renewed the intranet certificate and added it to expiry monitoring.",
            ),
        ),
        _P_URGENT,
    ),
    T(
        "dlp",
        (("Data Loss Prevention", 1.0), ("Exchange Online", 0.4)),
        2,
        0.8,
        (
            C(
                "DLP blocks sending the contract to our lawyer",
                "Outlook says my e-mail violates a policy and won't send the contract.",
                "the confidential-data policy working as designed",
                "Explained the policy; the user sent it through the approved secure-share route.",
            ),
            C(
                "Can't share a file externally because of its label",
                "The share button is greyed out on a 'Confidential' document.",
                "a sensitivity label that forbids external sharing",
                "Relabelled the document after the data owner's approval.",
            ),
        ),
        _P_LOW,
    ),
    # ---------------------------------------------------------------- business applications
    T(
        "sap",
        (("SAP", 1.0), ("Access Requests", 0.5)),
        2,
        2.0,
        (
            C(
                "SAP: 'You are not authorized to use transaction ME21N'",
                "I need to create purchase orders but SAP says I'm not authorised.",
                "a missing purchasing role",
                "Added the purchasing role to the user in SU01 after approval.",
            ),
            C(
                "SAP GUI crashes on login",
                "SAP GUI closes as soon as I log on {since}.",
                "an unsupported SAP GUI patch level",
                "Upgraded SAP GUI to the supported patch level; SAP Support confirmed the known "
                "issue.",
            ),
        ),
        DEFAULT_PRIORITY_WEIGHTS,
        ("SAP Support",),
    ),
    T(
        "salesforce",
        (("Salesforce", 1.0), ("Single Sign-On", 0.4)),
        2,
        1.5,
        (
            C(
                "Salesforce report shows no data",
                "My pipeline report is empty {since}, but the opportunities exist.",
                "sharing rules after a role change",
                "A role change hid the records; fixed the role hierarchy.",
            ),
            C(
                "Can't log in to Salesforce – 'user is inactive'",
                "Salesforce says my user is inactive.",
                "a user deactivated in the licence clean-up",
                "Reactivated the user and assigned a freed licence.",
            ),
        ),
        DEFAULT_PRIORITY_WEIGHTS,
        ("Salesforce Support",),
    ),
    T(
        "jira",
        (("Jira", 1.0), ("Confluence", 0.5)),
        1,
        1.5,
        (
            C(
                "Need a new Jira project for the migration",
                "Could you create a Jira project with our standard workflow?",
                "nothing more than a project request",
                "Created the project from the team template and made the leads admins.",
            ),
            C(
                "Jira board not loading",
                "Our Jira board shows a spinner forever {since}.",
                "a heavy board filter",
                "The board's JQL filter timed out; simplified it.",
            ),
        ),
        _P_LOW,
        ("Atlassian Support",),
    ),
    T(
        "workday",
        (("Workday", 1.0), ("HR Systems", 0.6), ("Single Sign-On", 0.4)),
        2,
        1.0,
        (
            C(
                "Workday shows the wrong manager",
                "My manager in Workday is still my old one, so my time off goes to the wrong "
                "person.",
                "a stale supervisory organisation",
                "HR corrected the supervisory organisation; the pending request was rerouted.",
            ),
            C(
                "Payslip not visible in Workday",
                "I can't see this month's payslip in Workday.",
                "a late payroll publication",
                "Payroll had published late; confirmed with HR and the payslip is there now.",
            ),
        ),
        _P_LOW,
        ("Workday Support",),
    ),
    T(
        "concur",
        (("Concur", 1.0), ("SAP", 0.4)),
        1,
        1.0,
        (
            C(
                "Concur expense report stuck in approval",
                "My expense report has been 'Pending approval' for two weeks.",
                "an approver who left the company",
                "The approver had left; re-routed the approval to the new manager.",
            ),
            C(
                "Card transactions missing in Concur",
                "My corporate card transactions don't show up in Concur {since}.",
                "a failed card feed",
                "The bank's card feed had failed; they re-sent it.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "servicenow",
        (("ServiceNow", 1.0),),
        1,
        0.7,
        (
            C(
                "HR portal form doesn't submit",
                "The onboarding form in the HR portal does nothing when I click submit.",
                "a hidden mandatory field",
                "A hidden mandatory field blocked submission; fixed the catalogue item.",
            ),
            C(
                "Can't see my requests in the service portal",
                "My requests disappeared from the service portal.",
                "a duplicate user account",
                "The user had two accounts; merged them.",
            ),
        ),
        _P_LOW,
    ),
    # ------------------------------------------------------------------------- hardware
    T(
        "laptop_hardware",
        (("Laptops", 1.0), ("Warranty & RMA", 0.6)),
        2,
        2.0,
        (
            C(
                "Laptop won't power on",
                "{device} doesn't turn on at all, not even the charging light.",
                "a failed mainboard",
                "Gave the user a loaner and raised a warranty repair; the mainboard was replaced.",
            ),
            C(
                "Battery swelling – trackpad lifting",
                "The trackpad on my laptop is lifting; I think the battery is swollen.",
                "a swollen battery",
                "Replaced the battery under warranty; the old one went for safe disposal.",
            ),
            C(
                "Cracked screen after a fall",
                "I dropped my laptop and the screen is cracked.",
                "a broken display panel",
                "Replaced the display under the accidental-damage cover.",
            ),
        ),
        DEFAULT_PRIORITY_WEIGHTS,
        ("Dell ProSupport", "Lenovo Premier Support"),
    ),
    T(
        "dock_monitor",
        (("Monitors & Docking Stations", 1.0), ("Device Drivers", 0.6)),
        1,
        3.0,
        (
            C(
                "Second monitor not detected via dock",
                "Only one of my two monitors works through the dock {since}.",
                "old dock firmware",
                "Updated the dock firmware and display driver; both screens work.",
            ),
            C(
                "Screens flicker when docked",
                "My screens flicker every few seconds when {device} is docked.",
                "a cable not rated for video",
                "Replaced the USB-C cable, which was not rated for video.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "peripherals",
        (("Peripherals", 1.0),),
        1,
        2.0,
        (
            C(
                "Headset microphone not working",
                "My headset microphone stopped working {since}.",
                "a broken headset",
                "Replaced the headset from stock.",
            ),
            C(
                "Webcam shows a black image",
                "The webcam on {device} only shows a black image.",
                "a closed privacy shutter",
                "The webcam's privacy shutter was closed; also updated the camera driver.",
            ),
        ),
        _P_LOW,
    ),
    # ------------------------------------------------------------------------ telephony
    T(
        "voip",
        (("VoIP", 1.0), ("Switching & Routing", 0.4)),
        2,
        1.0,
        (
            C(
                "Desk phone shows 'No service'",
                "My desk phone {office} says 'No service' {since}.",
                "a switch port that lost its voice VLAN",
                "The phone's switch port had lost its voice VLAN; restored the port profile.",
            ),
            C(
                "Choppy audio on calls to customers",
                "Customers say my voice breaks up on calls.",
                "QoS markings stripped on the new WAN link",
                "QoS markings were stripped on the new WAN link; fixed the policy.",
            ),
        ),
    ),
    T(
        "teams_phone",
        (("Teams Phone", 1.0), ("Microsoft Teams", 0.6)),
        2,
        1.5,
        (
            C(
                "Can't make external calls from Teams",
                "The dial pad disappeared from Teams and I can't call customers.",
                "a Teams Phone licence removed in a clean-up",
                "The Teams Phone licence had been removed in a licence clean-up; reassigned it "
                "with the user's number.",
            ),
            C(
                "Voicemail not arriving in Teams",
                "Callers say they left voicemails but I never receive them.",
                "a calling policy without voicemail",
                "Voicemail was disabled in the user's calling policy; fixed the policy.",
            ),
        ),
        DEFAULT_PRIORITY_WEIGHTS,
        ("Microsoft Support",),
    ),
    T(
        "contact_center",
        (("Contact Center", 1.0), ("VoIP", 0.6)),
        3,
        0.8,
        (
            C(
                "Calls not reaching the support queue",
                "Customers calling the support line hear ringing and then silence.",
                "a routing change that points to an empty queue",
                "A routing change sent calls to an empty queue; reverted it. Genesys confirmed "
                "the platform was healthy.",
            ),
            C(
                "IVR plays the wrong holiday message",
                "The IVR still plays the Christmas closure message.",
                "a stale schedule group",
                "Updated the schedule group the IVR uses.",
            ),
        ),
        _P_URGENT,
        ("Genesys Care",),
    ),
    # ------------------------------------------------------------------ storage and backup
    T(
        "file_share",
        (("File Shares", 1.0), ("Access Requests", 0.5)),
        1,
        2.5,
        (
            C(
                "Mapped drive S: missing after login",
                "The S: drive is gone on {device} {since}.",
                "a drive mapping targeted at the old department group",
                "The drive mapping targeted the old department group; added the user to the "
                "new one.",
            ),
            C(
                "Access denied to a folder on the Projects share",
                "I get 'Access denied' on the Projects folder my team uses.",
                "a folder permission granted to named users instead of a group",
                "Granted access through the folder's owner group after approval.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "file_restore",
        (("Backup & Restore", 1.0), ("File Shares", 0.5)),
        1,
        2.0,
        (
            C(
                "Please restore a deleted Excel file from yesterday",
                "I deleted the budget workbook by mistake yesterday afternoon.",
                "the nightly snapshot",
                "Restored the file from last night's snapshot to its original folder.",
            ),
            C(
                "Need a previous version of a folder on the shared drive",
                "A folder on the team share was overwritten; we need Monday's version.",
                "the backup from Monday night",
                "Restored the folder from Monday's backup to a side location for the user to "
                "compare.",
            ),
        ),
        _P_LOW,
    ),
    T(
        "storage_full",
        (("NAS & SAN", 1.0), ("File Shares", 0.5)),
        3,
        0.8,
        (
            C(
                "Projects share is full – can't save files",
                "Nobody can save to the Projects share: 'There is not enough space'.",
                "a volume at its quota",
                "The volume had hit its quota; grew it and enabled autosize. NetApp Support "
                "reviewed the aggregate.",
            ),
            C(
                "File server very slow for everyone",
                "Opening files on the file server takes minutes {since}.",
                "runaway snapshots",
                "A snapshot schedule had run away; deleted old snapshots and fixed the schedule.",
            ),
        ),
        _P_URGENT,
        ("NetApp Support",),
    ),
    T(
        "backup_job",
        (("Backup & Restore", 1.0), ("NAS & SAN", 0.4)),
        2,
        0.8,
        (
            C(
                "Nightly backup job failed three times",
                "The backup report shows failures three nights in a row.",
                "a full backup repository",
                "The repository was out of space; added capacity and re-ran the jobs.",
            ),
            C(
                "No backup of the SQL cluster since Friday",
                "There is no backup of the SQL cluster since Friday.",
                "a changed service account",
                "A changed service account broke application-aware processing; fixed the "
                "credentials. Veeam Support confirmed the configuration.",
            ),
        ),
        DEFAULT_PRIORITY_WEIGHTS,
        ("Veeam Support",),
    ),
)

# A burst of identical-looking tickets during a vendor outage, as real service desks see.
# (template key, days before now, number of tickets, minutes between tickets)
INCIDENTS: tuple[tuple[str, float, int, float], ...] = (("exchange_incident", 12.4, 8, 9.0),)

# ---------------------------------------------------------------------------------- chat

INVITE_NOTES: tuple[str, ...] = (
    "Could you take a look with me? It looks like a {skill} problem.",
    "You know {skill} better than I do — have you seen this before?",
    "Need a second pair of eyes on the {skill} side.",
    "Quick one for a {skill} expert, if you have ten minutes.",
)
INVITE_REASONS: tuple[str, ...] = (
    "{skill} {level}/5",
    "Strong in {skill} ({level}/5)",
)
OWNER_OPENERS: tuple[str, ...] = (
    "Thanks for joining. Basics are done: restart, re-login, service status is green.",
    "Hi! Per the user it's been failing {since}.",
    "Thanks! I reproduced it on a test account, so it's not just this user.",
    "Appreciate it. Logs are attached to the ticket.",
)
HELPER_LINES: tuple[str, ...] = (
    "Seen this before — it's usually {cause}.",
    "Looking now. My first guess is {cause}.",
    "Can you get a screenshot of the exact error? I suspect {cause}.",
    "Checked on our side: it's {cause}.",
)
OWNER_REPLIES: tuple[str, ...] = (
    "That matches what the user describes.",
    "Good call — trying that now.",
    "Confirmed with the user, it works now.",
    "Makes sense. I'll write it up for the knowledge base.",
)
ESCALATION_NOTES: tuple[str, ...] = (
    "Basic troubleshooting done (restart, cache clear, re-login); needs {skill} expertise.",
    "Outside what this tier can do: needs admin access for {skill}.",
    "Followed the KB article without success; escalating to the {skill} specialists.",
    "Reproduced the issue; the cause is deeper in {skill} than we can see from here.",
)
PENDING_NOTES: tuple[str, ...] = (
    "Asked the user for a screenshot of the error; waiting.",
    "Waiting for the user to try again from the office.",
    "Asked for the manager's approval.",
)
REOPEN_REASONS: tuple[str, ...] = (
    "It's happening again.",
    "The fix only lasted a day.",
    "Still not working after the reboot.",
)

HAND_RAISE_NOTES: tuple[str, ...] = (
    "Anyone around who knows {skill}? Stuck on this one.",
    "Help wanted on the {skill} side, if someone has a few minutes.",
)
DROP_IN_LINES: tuple[str, ...] = (
    "Saw this in the list — we had the same last month: it was {cause}.",
    "Passing by: I think this is {cause}. Happy to help if you want.",
)
HANDOVER_LINES: tuple[str, ...] = (
    "Handing this over — I've done the basics, notes are in the timeline.",
    "Yours now; ping me here if you need what I tried so far.",
)
# The public conversation between the requester and staff (message kind "reply").
REPLY_ASKS: tuple[str, ...] = (
    "Could you send a screenshot of the exact error message?",
    "Could you try once more from the office network and tell me what you see?",
    "Is this still happening after a restart this morning?",
)
REPLY_ANSWERS: tuple[str, ...] = (
    "Done — screenshot attached, same error as before.",
    "Tried again from the office: same thing.",
    "Yes, still happening after the restart.",
)


@dataclass(frozen=True)
class VendorSpec:
    """A Tier-4 vendor: its name, the shape of its case numbers, a contact, and its SLA."""

    name: str
    ref_prefix: str
    contact: str
    sla_hours: int


# Tier-4 vendors. The SLA is their contractual time to resolve a case handed to them.
VENDORS: tuple[VendorSpec, ...] = (
    VendorSpec("Cisco TAC", "SR 69", "tac@cisco.example", 24),
    VendorSpec("Microsoft Support", "TrackingID#2603", "premier@microsoft.example", 24),
    VendorSpec("HP Support", "HP-", "support@hp.example", 48),
    VendorSpec("Ricoh Service", "RIC-", "service@ricoh.example", 48),
    VendorSpec("Dell ProSupport", "DELL-", "prosupport@dell.example", 24),
    VendorSpec("Lenovo Premier Support", "LEN-", "premier@lenovo.example", 48),
    VendorSpec("Oracle Support", "SR 3-", "support@oracle.example", 48),
    VendorSpec("SAP Support", "SAP-", "support@sap.example", 48),
    VendorSpec("Salesforce Support", "SF-", "support@salesforce.example", 24),
    VendorSpec("Atlassian Support", "PS-", "support@atlassian.example", 24),
    VendorSpec("Workday Support", "WD-", "support@workday.example", 48),
    VendorSpec("Genesys Care", "GEN-", "care@genesys.example", 24),
    VendorSpec("NetApp Support", "NTAP-", "support@netapp.example", 24),
    VendorSpec("Veeam Support", "Case #0", "support@veeam.example", 24),
    VendorSpec("F5 Support", "C", "support@f5.example", 24),
    VendorSpec("Okta Support", "OKTA-", "support@okta.example", 24),
    VendorSpec("Zoom Support", "ZM-", "support@zoom.example", 48),
)
# What the vendor says, by the status of the live vocabulary (swarm/tiers/vendors.py):
# ``waiting_on_us`` pauses the vendor's clock, ``resolved`` ends the hand-off.
VENDOR_NOTES: dict[str, tuple[str, ...]] = {
    "acknowledged": ("Case opened, engineer assigned.", "Case received; initial response."),
    "in_progress": (
        "Engineer reviewing the logs we sent.",
        "Vendor reproduced the issue in their lab.",
    ),
    "waiting_on_us": (
        "Vendor asks for logs and exact steps to reproduce.",
        "Vendor asks for a remote session.",
    ),
    "resolved": (
        "Vendor supplied a fix and confirmed the cause.",
        "Vendor confirmed the cause and the fix; case can be closed on our side.",
    ),
}
