"""The demo organisation's skill taxonomy: about a hundred IT-support skills in twelve domains.

Each domain is a tree of ``is_a`` edges under one root skill ("Cisco AnyConnect" is_a "VPN"
is_a "Networking"); ``RELATED`` adds weighted ``related_to`` edges across the trees. Aliases
are the words people actually type in tickets, because skill inference from text matches on
them: keep them lower-case and specific (a bare "mail" would match half the tickets).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SkillSpec:
    """One skill; ``parent`` is the skill it ``is_a`` (None for a domain's root)."""

    name: str
    category: str
    parent: str | None
    description: str
    aliases: tuple[str, ...]


_Row = tuple[str, str | None, str, tuple[str, ...]]


def _domain(category: str, rows: list[_Row]) -> list[SkillSpec]:
    return [
        SkillSpec(name, category, parent, text, aliases) for name, parent, text, aliases in rows
    ]


_IAM = "Identity & Access"
_NET = "Networking"
_COLLAB = "Email & Collaboration"
_END = "Endpoints"
_PRINT = "Printing"
_DB = "Databases"
_CLOUD = "Cloud"
_SEC = "Security"
_APPS = "Business Applications"
_HW = "Hardware"
_TEL = "Telephony"
_STORE = "Storage & Backup"

SKILLS: tuple[SkillSpec, ...] = (
    *_domain(
        _IAM,
        [
            (
                _IAM,
                None,
                "Accounts, sign-in and permissions across the organisation.",
                ("iam", "access management", "user account", "sign-in"),
            ),
            (
                "Active Directory",
                _IAM,
                "On-premises directory: users, groups, domain controllers.",
                ("ad", "ad ds", "domain controller", "domain account", "organizational unit"),
            ),
            (
                "Group Policy",
                "Active Directory",
                "GPOs that configure Windows machines and users.",
                ("gpo", "group policy object", "gpupdate", "policy not applied"),
            ),
            (
                "Entra ID",
                _IAM,
                "Microsoft's cloud directory (formerly Azure AD), conditional access.",
                ("azure ad", "aad", "microsoft entra", "conditional access", "entra"),
            ),
            (
                "Multi-Factor Authentication",
                _IAM,
                "Second factors: authenticator apps, codes, keys.",
                ("mfa", "2fa", "authenticator", "one-time code", "otp", "yubikey"),
            ),
            (
                "Single Sign-On",
                _IAM,
                "Signing in once for many applications through an identity provider.",
                ("sso", "login redirect", "federated login", "identity provider"),
            ),
            (
                "SAML",
                "Single Sign-On",
                "SAML federation: assertions, signing certificates, ADFS.",
                ("saml assertion", "adfs", "idp", "saml response"),
            ),
            (
                "Okta",
                "Single Sign-On",
                "Okta as identity provider: apps, policies, Okta Verify.",
                ("okta verify", "okta dashboard"),
            ),
            (
                "Password Reset",
                _IAM,
                "Forgotten, expired and locked-out passwords.",
                ("forgot password", "locked out", "account locked", "password expired", "sspr"),
            ),
            (
                "LDAP",
                _IAM,
                "Directory lookups and binds from applications over LDAP/LDAPS.",
                ("ldaps", "ldap bind", "openldap", "directory lookup"),
            ),
            (
                "Access Requests",
                _IAM,
                "Granting and removing access: groups, roles, shares.",
                ("permissions", "access rights", "group membership", "need access", "grant access"),
            ),
            (
                "Privileged Access",
                _IAM,
                "Admin rights, privileged accounts and vaulted credentials.",
                ("pam", "admin rights", "local admin", "cyberark", "elevated rights"),
            ),
        ],
    ),
    *_domain(
        _NET,
        [
            (
                _NET,
                None,
                "Connectivity inside the offices, between sites and to the internet.",
                ("network", "connectivity", "lan", "no internet", "network outage"),
            ),
            (
                "VPN",
                _NET,
                "Remote access into the corporate network.",
                ("remote access", "vpn client", "tunnel"),
            ),
            (
                "Cisco AnyConnect",
                "VPN",
                "Cisco's VPN client (Cisco Secure Client) and its profiles.",
                ("anyconnect", "cisco secure client", "secure client"),
            ),
            (
                "GlobalProtect",
                "VPN",
                "Palo Alto Networks' VPN client and portal.",
                ("globalprotect", "gp portal", "palo alto vpn"),
            ),
            (
                "DNS",
                _NET,
                "Name resolution: internal zones, records, resolvers.",
                ("name resolution", "nslookup", "dns record", "cannot resolve", "dns_probe"),
            ),
            (
                "DHCP",
                _NET,
                "Address assignment: scopes, leases, reservations.",
                ("ip address", "dhcp lease", "169.254", "no ip", "dhcp scope"),
            ),
            (
                "Wi-Fi",
                _NET,
                "Wireless networks: access points, SSIDs, 802.1X.",
                ("wifi", "wireless", "wlan", "access point", "ssid", "eduroam"),
            ),
            (
                "Firewalls",
                _NET,
                "Firewall rules, NAT and port openings.",
                ("firewall", "firewall rule", "port blocked", "acl", "whitelist"),
            ),
            (
                "Cisco ASA",
                "Firewalls",
                "Cisco Adaptive Security Appliance firewalls and VPN head-ends.",
                ("asa", "adaptive security appliance", "asdm"),
            ),
            (
                "Palo Alto Firewalls",
                "Firewalls",
                "Palo Alto Networks firewalls and Panorama.",
                ("pan-os", "palo alto", "panorama"),
            ),
            (
                "Proxies",
                _NET,
                "Web proxies and secure web gateways, PAC files.",
                ("proxy", "web proxy", "zscaler", "pac file", "blocked website"),
            ),
            (
                "Load Balancers",
                _NET,
                "Load balancers and virtual IPs in front of services.",
                ("load balancer", "f5", "big-ip", "haproxy", "vip", "pool member"),
            ),
            (
                "Switching & Routing",
                _NET,
                "Switches, VLANs, routers and WAN links.",
                ("switch", "vlan", "router", "bgp", "ospf", "network port"),
            ),
        ],
    ),
    *_domain(
        _COLLAB,
        [
            (
                _COLLAB,
                None,
                "E-mail, calendars, chat, meetings and shared documents.",
                ("m365", "office 365", "microsoft 365", "collaboration"),
            ),
            (
                "Exchange Online",
                _COLLAB,
                "Mailboxes, mail flow and transport rules in Exchange Online.",
                ("exchange", "mailbox", "mail flow", "transport rule", "ndr", "bounce"),
            ),
            (
                "Shared Mailboxes",
                "Exchange Online",
                "Shared and delegated mailboxes, send-as.",
                ("shared mailbox", "delegate access", "send as", "send on behalf"),
            ),
            (
                "Mail Filtering",
                "Exchange Online",
                "Spam, quarantine and anti-phishing policies.",
                ("quarantine", "spam", "junk mail", "defender for office", "blocked sender"),
            ),
            (
                "Outlook",
                _COLLAB,
                "The Outlook clients: profiles, OST files, calendars, add-ins.",
                ("outlook client", "ost", "pst", "calendar", "outlook profile", "new outlook"),
            ),
            (
                "Microsoft Teams",
                _COLLAB,
                "Teams chat, channels and meetings.",
                ("teams", "teams meeting", "teams chat", "teams channel"),
            ),
            (
                "SharePoint",
                _COLLAB,
                "SharePoint Online sites, libraries and permissions.",
                ("sharepoint online", "site collection", "intranet", "document library"),
            ),
            (
                "OneDrive",
                _COLLAB,
                "OneDrive sync client and known-folder move.",
                ("onedrive sync", "known folder move", "sync conflict", "onedrive"),
            ),
            (
                "Zoom",
                _COLLAB,
                "Zoom meetings, webinars and Zoom Rooms.",
                ("zoom meeting", "zoom rooms", "zoom webinar"),
            ),
            (
                "Slack",
                _COLLAB,
                "Slack workspaces, channels and integrations.",
                ("slack workspace", "slack channel", "slack app"),
            ),
            (
                "Microsoft 365 Apps",
                _COLLAB,
                "Word, Excel, PowerPoint: installs, activation, add-ins.",
                ("excel", "word", "powerpoint", "office activation", "office apps"),
            ),
        ],
    ),
    *_domain(
        _END,
        [
            (
                _END,
                None,
                "Laptops' and desktops' operating systems and their management.",
                ("endpoint", "workstation", "desktop support", "pc"),
            ),
            (
                "Windows",
                _END,
                "Microsoft Windows on laptops and desktops.",
                ("windows os", "windows update", "start menu"),
            ),
            (
                "Windows 10",
                "Windows",
                "Windows 10 clients, including the end-of-support migration.",
                ("win10", "windows 10"),
            ),
            (
                "Windows 11",
                "Windows",
                "Windows 11 clients and feature updates.",
                ("win11", "windows 11", "24h2"),
            ),
            (
                "macOS",
                _END,
                "Apple Macs: macOS updates, keychain, FileVault.",
                ("mac", "macbook", "keychain", "filevault", "sonoma", "sequoia"),
            ),
            (
                "Linux Desktop",
                _END,
                "Linux workstations used by engineers.",
                ("ubuntu", "fedora", "linux laptop", "gnome", "apt"),
            ),
            (
                "Endpoint Management",
                _END,
                "Enrolling, configuring and patching devices centrally.",
                ("mdm", "device management", "compliance policy", "device enrolment"),
            ),
            (
                "Intune",
                "Endpoint Management",
                "Microsoft Intune: enrolment, Autopilot, Company Portal.",
                ("endpoint manager", "company portal", "autopilot", "intune"),
            ),
            (
                "Jamf",
                "Endpoint Management",
                "Jamf Pro for Macs: policies, Self Service.",
                ("jamf pro", "self service app", "jamf"),
            ),
            (
                "SCCM",
                "Endpoint Management",
                "Configuration Manager: software deployment and patching.",
                ("configmgr", "mecm", "software center", "sccm client"),
            ),
            (
                "Device Drivers",
                _END,
                "Drivers and firmware: graphics, audio, docks, BSODs.",
                ("driver", "device manager", "blue screen", "bsod", "firmware update"),
            ),
            (
                "BitLocker",
                "Windows",
                "Disk encryption on Windows and recovery keys.",
                ("recovery key", "bitlocker recovery", "disk encryption", "tpm"),
            ),
            (
                "Software Installation",
                _END,
                "Installing and licensing approved software.",
                ("install", "license key", "software request", "installer", "msi"),
            ),
            (
                "Mobile Devices",
                _END,
                "Company phones and tablets: iOS and Android.",
                ("iphone", "android", "ipad", "mobile phone", "work profile"),
            ),
        ],
    ),
    *_domain(
        _PRINT,
        [
            (
                _PRINT,
                None,
                "Printers, print servers and scanners.",
                ("printer", "print", "printing"),
            ),
            (
                "Print Queues",
                _PRINT,
                "Print servers, spoolers and stuck jobs.",
                ("print spooler", "print server", "stuck print job", "print queue"),
            ),
            (
                "Network Printers",
                _PRINT,
                "Multifunction printers on the network: setup, firmware, toner.",
                ("mfp", "multifunction printer", "printer ip", "toner", "paper jam"),
            ),
            (
                "Scan to Email",
                _PRINT,
                "Scanning from MFPs to mailboxes and folders.",
                ("scanner", "scan to folder", "scanning", "scan to email"),
            ),
            (
                "Follow-Me Printing",
                _PRINT,
                "Secure release printing with badges (PaperCut).",
                ("papercut", "secure print", "badge release", "follow me"),
            ),
        ],
    ),
    *_domain(
        _DB,
        [
            (
                _DB,
                None,
                "Relational databases behind the business applications.",
                ("database", "db", "sql"),
            ),
            (
                "PostgreSQL",
                _DB,
                "PostgreSQL clusters: connections, replication, vacuum.",
                ("postgres", "psql", "pg_hba", "replication lag"),
            ),
            (
                "SQL Server",
                _DB,
                "Microsoft SQL Server instances and Always On groups.",
                ("mssql", "t-sql", "ssms", "sql agent job"),
            ),
            (
                "Oracle Database",
                _DB,
                "Oracle databases: listeners, tablespaces, RMAN.",
                ("oracle", "ora-", "sqlplus", "tnsnames", "tablespace"),
            ),
            ("MySQL", _DB, "MySQL and MariaDB servers.", ("mariadb", "mysql")),
            (
                "Database Backups",
                _DB,
                "Database backups and point-in-time restores.",
                ("db backup", "point-in-time restore", "pg_dump", "rman", "restore database"),
            ),
            (
                "Query Performance",
                _DB,
                "Slow queries, indexes, locks and execution plans.",
                ("slow query", "execution plan", "deadlock", "missing index", "query timeout"),
            ),
        ],
    ),
    *_domain(
        _CLOUD,
        [
            (
                _CLOUD,
                None,
                "Public cloud platforms and the workloads running on them.",
                ("cloud", "iaas", "paas", "cloud console"),
            ),
            (
                "AWS",
                _CLOUD,
                "Amazon Web Services accounts, EC2, S3 and IAM.",
                ("amazon web services", "ec2", "s3 bucket", "iam role", "aws console"),
            ),
            (
                "Azure",
                _CLOUD,
                "Microsoft Azure subscriptions and resources.",
                ("microsoft azure", "azure portal", "resource group", "azure subscription"),
            ),
            (
                "Google Cloud",
                _CLOUD,
                "Google Cloud projects and services.",
                ("gcp", "google cloud", "bigquery"),
            ),
            (
                "Kubernetes",
                _CLOUD,
                "Kubernetes clusters (AKS, EKS), deployments, ingress.",
                ("k8s", "kubectl", "pod", "helm", "aks", "eks", "crashloopbackoff"),
            ),
            (
                "Docker",
                _CLOUD,
                "Containers and images, Docker Desktop.",
                ("container", "docker desktop", "container image", "docker compose"),
            ),
            (
                "Terraform",
                _CLOUD,
                "Infrastructure as code with Terraform.",
                ("iac", "infrastructure as code", "terraform plan", "tfstate"),
            ),
            (
                "CI/CD Pipelines",
                _CLOUD,
                "Build and deployment pipelines.",
                ("jenkins", "github actions", "azure devops", "pipeline failed", "build failed"),
            ),
        ],
    ),
    *_domain(
        _SEC,
        [
            (
                _SEC,
                None,
                "Protecting people, devices and data; responding to incidents.",
                ("infosec", "cybersecurity", "security incident"),
            ),
            (
                "Phishing",
                _SEC,
                "Suspicious e-mails, fake login pages, reported phish.",
                ("suspicious email", "phish", "fake login page", "report phishing"),
            ),
            (
                "Malware",
                _SEC,
                "Viruses, ransomware and infected machines.",
                ("virus", "ransomware", "trojan", "infected", "pop-ups"),
            ),
            (
                "EDR",
                _SEC,
                "Endpoint detection and response agents and their alerts.",
                (
                    "crowdstrike",
                    "defender for endpoint",
                    "sentinelone",
                    "edr alert",
                    "quarantined file",
                ),
            ),
            (
                "Vulnerability Patching",
                _SEC,
                "Scanning for and patching vulnerabilities.",
                ("patch", "cve", "security update", "vulnerability scan", "qualys"),
            ),
            (
                "Certificates",
                _SEC,
                "TLS certificates, internal PKI and expiries.",
                ("ssl", "tls", "certificate expired", "pki", "cert error", "csr"),
            ),
            (
                "Data Loss Prevention",
                _SEC,
                "DLP policies, sensitivity labels, blocked sharing.",
                ("dlp", "sensitivity label", "blocked attachment", "policy tip"),
            ),
            (
                "SIEM",
                _SEC,
                "Security event collection and alerting.",
                ("splunk", "sentinel", "log alert", "security alert"),
            ),
        ],
    ),
    *_domain(
        _APPS,
        [
            (
                _APPS,
                None,
                "The applications the business runs on.",
                ("business app", "enterprise application", "line of business"),
            ),
            (
                "ERP Systems",
                _APPS,
                "Enterprise resource planning: finance, purchasing, logistics.",
                ("erp", "dynamics 365", "netsuite", "purchase order"),
            ),
            (
                "SAP",
                "ERP Systems",
                "SAP ERP and S/4HANA: SAP GUI, Fiori, authorisations.",
                ("sap gui", "s/4hana", "fiori", "sap transaction", "sap logon"),
            ),
            (
                "Salesforce",
                _APPS,
                "Salesforce CRM: users, profiles, reports.",
                ("sfdc", "crm", "sales cloud", "salesforce"),
            ),
            (
                "ServiceNow",
                _APPS,
                "The ServiceNow platform used by other departments.",
                ("snow", "service portal", "servicenow"),
            ),
            (
                "Jira",
                _APPS,
                "Jira projects, boards and workflows.",
                ("jira ticket", "atlassian", "jira board", "jira project"),
            ),
            (
                "Confluence",
                _APPS,
                "Confluence spaces and pages.",
                ("wiki", "confluence space", "confluence page"),
            ),
            (
                "HR Systems",
                _APPS,
                "HR and payroll applications.",
                ("hris", "payroll", "successfactors", "onboarding system"),
            ),
            (
                "Workday",
                "HR Systems",
                "Workday HCM: time off, payslips, org charts.",
                ("workday", "payslip", "time off request"),
            ),
            (
                "Concur",
                _APPS,
                "SAP Concur travel and expenses.",
                ("sap concur", "expense report", "travel booking", "concur"),
            ),
        ],
    ),
    *_domain(
        _HW,
        [
            (_HW, None, "Physical devices and their repair.", ("hardware", "device", "peripheral")),
            (
                "Laptops",
                _HW,
                "Company laptops: batteries, keyboards, screens, replacements.",
                ("laptop", "notebook", "battery", "thinkpad", "latitude", "won't power on"),
            ),
            (
                "Monitors & Docking Stations",
                _HW,
                "External displays and USB-C/Thunderbolt docks.",
                (
                    "docking station",
                    "dock",
                    "external monitor",
                    "usb-c",
                    "thunderbolt",
                    "second screen",
                ),
            ),
            (
                "Peripherals",
                _HW,
                "Keyboards, mice, headsets and webcams.",
                ("keyboard", "mouse", "headset", "webcam", "bluetooth"),
            ),
            (
                "Warranty & RMA",
                _HW,
                "Vendor warranty claims and returns.",
                ("warranty", "rma", "replacement part", "repair ticket"),
            ),
        ],
    ),
    *_domain(
        _TEL,
        [
            (
                _TEL,
                None,
                "Voice: desk phones, softphones and the contact centre.",
                ("phone", "telephony", "voice", "call quality"),
            ),
            (
                "VoIP",
                _TEL,
                "SIP desk phones and softphones.",
                ("sip", "softphone", "voip", "desk phone", "jitter"),
            ),
            (
                "Teams Phone",
                _TEL,
                "Calling in Teams: numbers, direct routing, voicemail.",
                ("teams calling", "direct routing", "phone number", "voicemail", "dial pad"),
            ),
            (
                "Contact Center",
                _TEL,
                "The contact-centre platform: queues, IVR, agents.",
                ("genesys", "call center", "ivr", "call queue", "five9"),
            ),
        ],
    ),
    *_domain(
        _STORE,
        [
            (
                _STORE,
                None,
                "Where files live and how they are brought back.",
                ("storage", "backup", "disk space"),
            ),
            (
                "File Shares",
                _STORE,
                "Windows file servers, mapped drives and share permissions.",
                ("network drive", "mapped drive", "smb", "file server", "shared drive"),
            ),
            (
                "NAS & SAN",
                _STORE,
                "NetApp filers and SAN storage: volumes, LUNs, capacity.",
                ("netapp", "san", "nas", "lun", "volume full"),
            ),
            (
                "Backup & Restore",
                _STORE,
                "Backup jobs and restoring files, mailboxes and VMs.",
                ("veeam", "restore file", "backup job", "commvault", "deleted file"),
            ),
        ],
    ),
)

# Weighted related_to edges: how much knowing one helps with the other (0 < weight ≤ 1).
# Stored once per pair; the graph treats them as symmetric.
RELATED: tuple[tuple[str, str, float], ...] = (
    ("DNS", "DHCP", 0.6),
    ("VPN", "Firewalls", 0.5),
    ("VPN", "Multi-Factor Authentication", 0.5),
    ("VPN", "Wi-Fi", 0.3),
    ("VPN", "DNS", 0.4),
    ("Cisco AnyConnect", "Cisco ASA", 0.8),
    ("GlobalProtect", "Palo Alto Firewalls", 0.8),
    ("Proxies", "Firewalls", 0.5),
    ("Proxies", "Certificates", 0.4),
    ("Load Balancers", "Certificates", 0.5),
    ("Load Balancers", "DNS", 0.4),
    ("Switching & Routing", "Wi-Fi", 0.5),
    ("Switching & Routing", "VoIP", 0.5),
    ("Entra ID", "Active Directory", 0.8),
    ("Entra ID", "Multi-Factor Authentication", 0.7),
    ("Single Sign-On", "Entra ID", 0.7),
    ("Okta", "Multi-Factor Authentication", 0.6),
    ("SAML", "Certificates", 0.5),
    ("Password Reset", "Multi-Factor Authentication", 0.6),
    ("Password Reset", "Active Directory", 0.7),
    ("LDAP", "Active Directory", 0.8),
    ("Access Requests", "Active Directory", 0.6),
    ("Access Requests", "Shared Mailboxes", 0.5),
    ("Access Requests", "File Shares", 0.6),
    ("Access Requests", "HR Systems", 0.3),
    ("Privileged Access", "Software Installation", 0.5),
    ("Group Policy", "Windows", 0.6),
    ("Exchange Online", "Outlook", 0.8),
    ("Exchange Online", "Entra ID", 0.5),
    ("Outlook", "Microsoft 365 Apps", 0.5),
    ("Microsoft Teams", "SharePoint", 0.6),
    ("SharePoint", "OneDrive", 0.8),
    ("Microsoft Teams", "Teams Phone", 0.7),
    ("Microsoft Teams", "Peripherals", 0.4),
    ("Zoom", "Peripherals", 0.4),
    ("Mail Filtering", "Phishing", 0.8),
    ("Phishing", "EDR", 0.5),
    ("Malware", "EDR", 0.9),
    ("Malware", "Backup & Restore", 0.4),
    ("SIEM", "EDR", 0.7),
    ("Data Loss Prevention", "SharePoint", 0.4),
    ("Data Loss Prevention", "Exchange Online", 0.4),
    ("Vulnerability Patching", "SCCM", 0.6),
    ("Vulnerability Patching", "Intune", 0.5),
    ("BitLocker", "Intune", 0.6),
    ("BitLocker", "Laptops", 0.4),
    ("Windows 11", "Intune", 0.5),
    ("macOS", "Jamf", 0.9),
    ("Mobile Devices", "Intune", 0.6),
    ("Mobile Devices", "Multi-Factor Authentication", 0.4),
    ("Device Drivers", "Monitors & Docking Stations", 0.6),
    ("Device Drivers", "Print Queues", 0.4),
    ("Device Drivers", "Laptops", 0.5),
    ("Software Installation", "SCCM", 0.7),
    ("Software Installation", "Intune", 0.6),
    ("Linux Desktop", "VPN", 0.3),
    ("Network Printers", "DHCP", 0.4),
    ("Scan to Email", "Exchange Online", 0.5),
    ("Follow-Me Printing", "Network Printers", 0.6),
    ("Query Performance", "PostgreSQL", 0.7),
    ("Query Performance", "SQL Server", 0.7),
    ("Database Backups", "PostgreSQL", 0.6),
    ("Database Backups", "SQL Server", 0.6),
    ("Database Backups", "Oracle Database", 0.6),
    ("Database Backups", "Backup & Restore", 0.7),
    ("Kubernetes", "Docker", 0.9),
    ("Kubernetes", "Load Balancers", 0.4),
    ("AWS", "Terraform", 0.6),
    ("Azure", "Terraform", 0.6),
    ("Azure", "Entra ID", 0.5),
    ("CI/CD Pipelines", "Docker", 0.6),
    ("CI/CD Pipelines", "Kubernetes", 0.5),
    ("SAP", "Single Sign-On", 0.4),
    ("Salesforce", "Single Sign-On", 0.4),
    ("Workday", "Single Sign-On", 0.4),
    ("SAP", "SQL Server", 0.3),
    ("Concur", "SAP", 0.5),
    ("Jira", "Confluence", 0.8),
    ("ServiceNow", "Jira", 0.3),
    ("File Shares", "NAS & SAN", 0.7),
    ("File Shares", "Backup & Restore", 0.6),
    ("NAS & SAN", "Backup & Restore", 0.6),
    ("OneDrive", "File Shares", 0.5),
    ("Contact Center", "VoIP", 0.7),
    ("Laptops", "Warranty & RMA", 0.6),
    ("Peripherals", "Monitors & Docking Stations", 0.5),
)
