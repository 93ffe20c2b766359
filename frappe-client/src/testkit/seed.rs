//! The default seed: a small fibre ISP of the Montérégie (Québec), built from the fields of
//! `shared/contracts/erpnext-custom/DOCTYPES.md`. Deterministic: fixed names, fixed creation
//! timestamps (strictly increasing from 2026-01-05 08:30), fixed child-row names.

use serde_json::{Value, json};

use super::store::{Origin, Store, format_micros};

/// 2026-01-05 08:30:00 UTC, in microseconds.
const BASE_MICROS: i64 = 1_767_601_800_000_000;
/// One day, 2 h 13 min 7 s, plus a little jitter per document.
const STEP_MICROS: i64 = ((26 * 60 + 13) * 60 + 7) * 1_000_000;

struct Seeder<'a> {
    store: &'a mut Store,
    n: i64,
}

impl Seeder<'_> {
    fn put(&mut self, doctype: &str, doc: Value) {
        let Value::Object(mut map) = doc else {
            return;
        };
        self.n += 1;
        let stamp = format_micros(BASE_MICROS + self.n * STEP_MICROS + self.n * 137);
        map.entry("creation").or_insert_with(|| json!(stamp));
        map.entry("owner").or_insert_with(|| json!("Administrator"));
        // Fixed child-row names keep the seed byte-for-byte reproducible.
        let mut row = 0;
        for rows in map.values_mut().filter_map(Value::as_array_mut) {
            for r in rows.iter_mut().filter_map(Value::as_object_mut) {
                row += 1;
                r.entry("name")
                    .or_insert_with(|| json!(format!("{:06x}{:04x}", self.n, row)));
            }
        }
        let _ = self
            .store
            .insert(doctype, map, Origin::Seed, "Administrator");
    }
}

/// Seeds the store.
pub(crate) fn seed(store: &mut Store) {
    let mut s = Seeder { store, n: 0 };
    tags(&mut s);
    users(&mut s);
    technicians(&mut s);
    customers(&mut s);
    service_locations(&mut s);
    equipment(&mut s);
    issues(&mut s);
    dispatch_jobs(&mut s);
    billing(&mut s);
    communications(&mut s);
    huawei_equipment(&mut s);
}

/// The Single doctypes' documents, present on every site (seeded or empty).
pub(crate) fn singles(store: &mut Store) {
    let captured: Value = serde_json::from_str(include_str!(
        "../../tests/resources/real-15.86/single-get.json"
    ))
    .unwrap_or(Value::Null);
    if let Some(Value::Object(doc)) = captured.get("data").cloned() {
        let _ = store.insert("System Settings", doc, Origin::Seed, "Administrator");
    }
}

fn tags(s: &mut Seeder<'_>) {
    for (tag, category, color) in [
        ("install", "Skill", "#2E7D32"),
        ("fibre-splicing", "Skill", "#7B61FF"),
        ("repair", "Skill", "#EF6C00"),
        ("business", "Skill", "#1565C0"),
        ("rive-sud", "Area", "#00897B"),
        ("richelieu", "Area", "#5D4037"),
        ("urgent", "Priority", "#C62828"),
        ("vip", "Other", "#F9A825"),
    ] {
        s.put(
            "Tag",
            json!({"name": tag, "tag_name": tag, "category": category, "color": color}),
        );
    }
}

fn users(s: &mut Seeder<'_>) {
    s.put(
        "User",
        json!({
            "name": "Administrator", "email": "admin@example.com", "first_name": "Administrator",
            "full_name": "Administrator", "username": "administrator", "enabled": 1,
            "user_type": "System User", "language": "fr", "time_zone": "America/Toronto",
            "roles": [{"role": "Administrator"}, {"role": "System Manager"}],
        }),
    );
    let staff = [
        (
            "alexandre.roy@gigafibre.ca",
            "Alexandre",
            "Roy",
            "aroy",
            "6f1c2d9e-4b7a-4c1e-9a55-0d3b8e21a101",
            "Technician",
        ),
        (
            "emilie.fortin@gigafibre.ca",
            "Émilie",
            "Fortin",
            "efortin",
            "0a7e55c2-93d1-4f0b-8c3e-5e9d2b71a102",
            "Technician",
        ),
        (
            "maxime.pelletier@gigafibre.ca",
            "Maxime",
            "Pelletier",
            "mpelletier",
            "b3c9e1f4-2d6a-4e8b-a1c7-7f0e4d92a103",
            "Technician",
        ),
        (
            "karine.bergeron@gigafibre.ca",
            "Karine",
            "Bergeron",
            "kbergeron",
            "d41e8a3b-7c25-4f96-b0d8-1a6c3e57a104",
            "Dispatcher",
        ),
    ];
    for (email, first, last, username, uid, role) in staff {
        s.put(
            "User",
            json!({
                "name": email, "email": email, "first_name": first, "last_name": last,
                "full_name": format!("{first} {last}"), "username": username, "enabled": 1,
                "user_type": "System User", "language": "fr", "time_zone": "America/Toronto",
                "roles": [{"role": role}],
                "social_logins": [{"provider": "authentik", "userid": uid, "username": username}],
            }),
        );
    }
    s.put("User", json!({
        "name": "marie-claude.tremblay@example.com", "email": "marie-claude.tremblay@example.com",
        "first_name": "Marie-Claude", "last_name": "Tremblay", "full_name": "Marie-Claude Tremblay",
        "enabled": 1, "user_type": "Website User", "language": "fr",
        "roles": [{"role": "Customer"}],
        "social_logins": [{"provider": "frappe", "userid": "46142bcd53ea31937b65b87ab402b8a4360be61"}],
    }));
}

fn technicians(s: &mut Seeder<'_>) {
    let techs = [
        (
            "TECH-001",
            "Alexandre Roy",
            "alexandre.roy@gigafibre.ca",
            "+15145550101",
            101,
            &["install", "fibre-splicing"][..],
            1,
            45.5312,
            -73.5181,
        ),
        (
            "TECH-002",
            "Émilie Fortin",
            "emilie.fortin@gigafibre.ca",
            "+14505550102",
            102,
            &["repair", "business"][..],
            1,
            45.4582,
            -73.4650,
        ),
        (
            "TECH-003",
            "Maxime Pelletier",
            "maxime.pelletier@gigafibre.ca",
            "+14505550103",
            103,
            &["install", "repair"][..],
            1,
            45.3075,
            -73.2625,
        ),
        (
            "TECH-004",
            "Olivier Gagné",
            "",
            "+15145550104",
            104,
            &["fibre-splicing"][..],
            0,
            45.6296,
            -72.9570,
        ),
    ];
    for (name, full, user, mobile, traccar, skills, active, lat, lon) in techs {
        let skills: Vec<Value> = skills.iter().map(|t| json!({"tag": t})).collect();
        let mut doc = json!({
            "name": name, "full_name": full, "mobile_no": mobile, "traccar_device_id": traccar,
            "skills": skills, "active": active, "home_latitude": lat, "home_longitude": lon,
        });
        if !user.is_empty() {
            doc["user"] = json!(user);
        }
        s.put("Technician", doc);
    }
}

/// (customer name, type, group, mobile, email, contact first, contact last, street, city, postal code)
type CustomerRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const CUSTOMERS: [CustomerRow; 8] = [
    (
        "Marie-Claude Tremblay",
        "Individual",
        "Individual",
        "+1 514 555 0142",
        "marie-claude.tremblay@example.com",
        "Marie-Claude",
        "Tremblay",
        "4512 rue Saint-Denis",
        "Montréal",
        "H2J 2L3",
    ),
    (
        "Jean-François Gagnon",
        "Individual",
        "Individual",
        "+1 450 555 0117",
        "jf.gagnon@example.com",
        "Jean-François",
        "Gagnon",
        "88 rue Saint-Charles Ouest",
        "Longueuil",
        "J4H 1C6",
    ),
    (
        "Boulangerie Le Pétrin Doré inc.",
        "Company",
        "Commercial",
        "+1 450 555 0190",
        "info@petrindore.example",
        "Pierre",
        "Lemieux",
        "1205 chemin de Chambly",
        "Longueuil",
        "J4J 3X4",
    ),
    (
        "Sophie Bouchard",
        "Individual",
        "Individual",
        "+1 450 555 0163",
        "sophie.bouchard@example.com",
        "Sophie",
        "Bouchard",
        "230 rue Richelieu",
        "Saint-Jean-sur-Richelieu",
        "J3B 6X9",
    ),
    (
        "Clinique Vétérinaire Rive-Sud",
        "Company",
        "Commercial",
        "+1 450 555 0134",
        "accueil@cliniquerivesud.example",
        "Isabelle",
        "Martin",
        "1800 boulevard De Périgny",
        "Chambly",
        "J3L 4C3",
    ),
    (
        "Luc Côté",
        "Individual",
        "Individual",
        "+1 514 555 0178",
        "luc.cote@example.com",
        "Luc",
        "Côté",
        "615 avenue Sainte-Anne",
        "Saint-Hyacinthe",
        "J2S 5G4",
    ),
    (
        "Ferme Beaulieu S.E.N.C.",
        "Company",
        "Commercial",
        "+1 450 555 0121",
        "ferme.beaulieu@example.com",
        "Réjean",
        "Beaulieu",
        "2450 rang du Bas-de-la-Rivière",
        "Saint-Marc-sur-Richelieu",
        "J0L 2E0",
    ),
    (
        "Nathalie Lavoie",
        "Individual",
        "Individual",
        "+1 514 555 0156",
        "nathalie.lavoie@example.com",
        "Nathalie",
        "Lavoie",
        "77 rue Principale",
        "Granby",
        "J2G 2T6",
    ),
];

fn customers(s: &mut Seeder<'_>) {
    for (i, (name, kind, group, mobile, email, first, last, ..)) in CUSTOMERS.iter().enumerate() {
        let mut doc = json!({
            "name": name, "customer_name": name, "customer_type": kind, "customer_group": group,
            "territory": "Québec", "mobile_no": mobile, "email_id": email, "default_currency": "CAD",
            "language": "fr", "disabled": i32::from(i == 7),
            "customer_primary_contact": format!("{first} {last}-{name}"),
            "customer_primary_address": format!("{name}-Billing"),
        });
        if *kind == "Company" {
            doc["tax_id"] = json!(format!("12345{i}678 RT0001"));
        }
        s.put("Customer", doc);
    }
    for (name, _, _, mobile, email, first, last, ..) in CUSTOMERS {
        s.put("Contact", json!({
            "first_name": first, "last_name": last, "status": "Passive", "is_primary_contact": 1,
            "email_ids": [{"email_id": email, "is_primary": 1}],
            "phone_nos": [{"phone": mobile, "is_primary_mobile_no": 1, "is_primary_phone": 0}],
            "links": [{"link_doctype": "Customer", "link_name": name, "link_title": name}],
        }));
    }
    for (name, _, _, mobile, email, _, _, street, city, postal) in CUSTOMERS {
        s.put(
            "Address",
            json!({
                "address_title": name, "address_type": "Billing", "address_line1": street,
                "city": city, "state": "Québec", "pincode": postal, "country": "Canada",
                "email_id": email, "phone": mobile, "is_primary_address": 1,
                "links": [{"link_doctype": "Customer", "link_name": name, "link_title": name}],
            }),
        );
    }
}

fn service_locations(s: &mut Seeder<'_>) {
    // (customer index, street, city, postal code, lat, long, olt, pon port, onu id, status, notes)
    let locations = [
        (
            0,
            "4512 rue Saint-Denis",
            "Montréal",
            "H2J 2L3",
            45.5262,
            -73.5846,
            "OLT-MTL-01",
            "0/1/3",
            7,
            "Active",
            "Code de la porte : 4512#",
        ),
        (
            1,
            "88 rue Saint-Charles Ouest",
            "Longueuil",
            "J4H 1C6",
            45.5370,
            -73.5100,
            "OLT-LGL-01",
            "0/2/1",
            12,
            "Active",
            "",
        ),
        (
            2,
            "1205 chemin de Chambly",
            "Longueuil",
            "J4J 3X4",
            45.5268,
            -73.4895,
            "OLT-LGL-01",
            "0/2/4",
            3,
            "Active",
            "Livraison par l'arrière avant 6 h",
        ),
        (
            3,
            "230 rue Richelieu",
            "Saint-Jean-sur-Richelieu",
            "J3B 6X9",
            45.3071,
            -73.2526,
            "OLT-SJR-01",
            "0/1/1",
            5,
            "Active",
            "",
        ),
        (
            4,
            "1800 boulevard De Périgny",
            "Chambly",
            "J3L 4C3",
            45.4404,
            -73.2880,
            "OLT-SJR-01",
            "0/1/2",
            9,
            "Active",
            "Demander à l'accueil",
        ),
        (
            5,
            "615 avenue Sainte-Anne",
            "Saint-Hyacinthe",
            "J2S 5G4",
            45.6296,
            -72.9570,
            "OLT-STH-01",
            "0/3/2",
            14,
            "Suspended",
            "Chien amical dans la cour",
        ),
        (
            6,
            "2450 rang du Bas-de-la-Rivière",
            "Saint-Marc-sur-Richelieu",
            "J0L 2E0",
            45.6830,
            -73.1980,
            "OLT-STH-01",
            "0/3/5",
            1,
            "Pending",
            "Entrée par le chemin de ferme, barrière verte",
        ),
        (
            7,
            "77 rue Principale",
            "Granby",
            "J2G 2T6",
            45.4031,
            -72.7310,
            "OLT-GRB-01",
            "0/1/6",
            2,
            "Disconnected",
            "",
        ),
        (
            0,
            "1520 rue Montarville",
            "Saint-Bruno-de-Montarville",
            "J3V 3T7",
            45.5340,
            -73.3510,
            "OLT-LGL-01",
            "0/4/1",
            6,
            "Active",
            "Chalet : clé dans la boîte à clés, code 2026",
        ),
    ];
    for (i, (c, street, city, postal, lat, lon, olt, port, onu, status, notes)) in
        locations.into_iter().enumerate()
    {
        let mut doc = json!({
            "name": format!("SL-{:05}", i + 1), "customer": CUSTOMERS[c].0,
            "address_line1": street, "city": city, "province": "QC", "postal_code": postal,
            "latitude": lat, "longitude": lon, "olt": olt, "pon_port": port, "onu_id": onu,
            "status": status,
        });
        if !notes.is_empty() {
            doc["access_notes"] = json!(notes);
        }
        s.put("Service Location", doc);
    }
}

/// (location number, customer index, type, brand, model, status, installed on)
type Unit = (
    u32,
    usize,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// The GenieACS device id prefix (`OUI-ProductClass-`) of each brand's ONT router, as its
/// Inform reports it (and as genieacs-client's testkit dumps hold it): the TP-Link XX230v
/// informs OUI `1C61B4` with product class `Device2` (not its model name), the Huawei BM632w
/// `202BC1` / `BM632w`. The serials are letters and digits, which GenieACS keeps unescaped.
fn acs_id_prefix(brand: &str) -> &'static str {
    match brand {
        "Huawei" => "202BC1-BM632w-",
        _ => "1C61B4-Device2-",
    }
}

fn equipment(s: &mut Seeder<'_>) {
    let units: [Unit; 10] = [
        (
            1,
            0,
            "ONT Router",
            "TP-Link",
            "XX230v",
            "Installed",
            "2026-02-10",
        ),
        (
            2,
            1,
            "ONT Router",
            "TP-Link",
            "XX230v",
            "Installed",
            "2026-02-17",
        ),
        (
            3,
            2,
            "ONT Router",
            "TP-Link",
            "XX230v",
            "Installed",
            "2026-03-05",
        ),
        (
            4,
            3,
            "ONT Router",
            "TP-Link",
            "XX230v",
            "Installed",
            "2026-03-19",
        ),
        (
            5,
            4,
            "ONT Router",
            "TP-Link",
            "XX230v",
            "Installed",
            "2026-04-02",
        ),
        (
            6,
            5,
            "ONT Router",
            "TP-Link",
            "XX230v",
            "Faulty",
            "2026-04-14",
        ),
        (
            8,
            7,
            "ONT Router",
            "TP-Link",
            "XX230v",
            "Returned",
            "2026-01-20",
        ),
        (
            9,
            0,
            "ONT Router",
            "TP-Link",
            "XX230v",
            "Installed",
            "2026-05-08",
        ),
        (
            1,
            0,
            "Mesh Node",
            "TP-Link",
            "Deco X50",
            "Installed",
            "2026-02-10",
        ),
        (7, 6, "ONT Router", "TP-Link", "XX230v", "In Stock", ""),
    ];
    for (i, unit) in units.into_iter().enumerate() {
        put_equipment(s, i + 1, unit);
    }
}

/// `SE-00011`, a Huawei BM632w (the model of genieacs-client's TR-098 dump, under the dump's
/// own serial) installed at the clinic beside its XX230v. Seeded after every other document so
/// that their creation timestamps stay what they were before it was added.
fn huawei_equipment(s: &mut Seeder<'_>) {
    put_equipment(
        s,
        11,
        (
            5,
            4,
            "ONT Router",
            "Huawei",
            "BM632w",
            "Installed",
            "2026-04-23",
        ),
    );
}

fn put_equipment(s: &mut Seeder<'_>, k: usize, unit: Unit) {
    let (loc, c, kind, brand, model, status, installed) = unit;
    let (serial, gpon, firmware) = match brand {
        "Huawei" => (
            "8KA8WA1151100043".to_owned(),
            format!("HWTC1A2B3C{k:02X}"),
            "V100R001IRQC56B017",
        ),
        _ => (
            format!("22C5A10001{k:02}"),
            format!("TPLG1A2B3C{k:02X}"),
            "1.2.1 Build 20240809 Rel.54320",
        ),
    };
    let mut doc = json!({
        "name": format!("SE-{k:05}"), "service_location": format!("SL-{loc:05}"),
        "customer": CUSTOMERS[c].0, "equipment_type": kind, "brand": brand, "model": model,
        "serial_number": serial, "mac_address": format!("AA:BB:CC:10:01:{k:02X}"),
        "firmware_version": firmware, "status": status,
    });
    if kind == "ONT Router" {
        doc["gpon_serial"] = json!(gpon);
        doc["admin_username"] = json!("user");
        doc["admin_password"] = json!(format!("Gf!2026-{k:04}"));
        if status == "Installed" {
            doc["acs_device_id"] = json!(format!("{}{serial}", acs_id_prefix(brand)));
        }
    }
    if !installed.is_empty() {
        doc["installed_on"] = json!(installed);
    }
    s.put("Service Equipment", doc);
}

fn issues(s: &mut Seeder<'_>) {
    let issues = [
        (
            "Internet lent le soir",
            1,
            "Open",
            "Medium",
            "Performance",
            "2026-11-18",
            "<p>Vitesse sous 100 Mb/s entre 19 h et 22 h depuis une semaine.</p>",
            "",
        ),
        (
            "Aucune connexion depuis la panne de courant",
            5,
            "Replied",
            "High",
            "Outage",
            "2026-11-20",
            "<p>Le voyant PON de l'ONT clignote rouge.</p>",
            "",
        ),
        (
            "Passage au forfait 1 Gb/s",
            2,
            "Resolved",
            "Low",
            "Plan Change",
            "2026-10-02",
            "<p>Le client veut le forfait affaires 1 Gb/s.</p>",
            "Forfait modifié, visite planifiée pour le remplacement de l'ONT.",
        ),
        (
            "Facture en double en octobre",
            3,
            "Closed",
            "Medium",
            "Billing",
            "2026-10-15",
            "<p>Deux prélèvements de 86,23 $.</p>",
            "Remboursement émis.",
        ),
        (
            "Wi-Fi faible au sous-sol",
            0,
            "Open",
            "Low",
            "Wi-Fi",
            "2026-11-24",
            "<p>Le signal ne se rend pas au sous-sol.</p>",
            "",
        ),
    ];
    for (i, (subject, c, status, priority, kind, opened, description, resolution)) in
        issues.into_iter().enumerate()
    {
        let (name, _, _, _, email, first, last, ..) = CUSTOMERS[c];
        let mut doc = json!({
            "name": format!("ISS-2026-{:05}", i + 1), "subject": subject, "status": status,
            "priority": priority, "issue_type": kind, "customer": name, "customer_name": name,
            "raised_by": email, "contact": format!("{first} {last}-{name}"),
            "description": description, "opening_date": opened, "company": "Gigafibre",
        });
        if !resolution.is_empty() {
            doc["resolution_details"] = json!(resolution);
        }
        s.put("Issue", doc);
    }
}

fn dispatch_jobs(s: &mut Seeder<'_>) {
    // (customer index, location, issue, type, priority, status, technician, start, end, tags, equipment rows, notes)
    type Job<'a> = (
        usize,
        u32,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a [&'a str],
        &'a [(u32, &'a str, &'a str)],
        &'a str,
    );
    let jobs: [Job<'_>; 8] = [
        (
            0,
            1,
            "",
            "Installation",
            "Normal",
            "Completed",
            "TECH-001",
            "2026-02-10 08:00:00",
            "2026-02-10 10:00:00",
            &["install"],
            &[(1, "Installed", ""), (9, "Installed", "Deco au 2e étage")],
            "Installation complétée, 940/930 Mb/s au test.",
        ),
        (
            2,
            3,
            "",
            "Installation",
            "High",
            "Completed",
            "TECH-003",
            "2026-03-05 06:00:00",
            "2026-03-05 08:00:00",
            &["install", "business"],
            &[(3, "Installed", "")],
            "Installé avant l'ouverture.",
        ),
        (
            1,
            2,
            "ISS-2026-00001",
            "Repair",
            "Normal",
            "Scheduled",
            "TECH-002",
            "2026-11-27 13:00:00",
            "2026-11-27 15:00:00",
            &["repair"],
            &[],
            "",
        ),
        (
            5,
            6,
            "ISS-2026-00002",
            "Repair",
            "Urgent",
            "En Route",
            "TECH-002",
            "2026-11-26 09:00:00",
            "2026-11-26 11:00:00",
            &["repair", "urgent"],
            &[(6, "Swapped", "L'ONT ne s'allume plus")],
            "",
        ),
        (
            6,
            7,
            "",
            "Installation",
            "Normal",
            "On Site",
            "TECH-001",
            "2026-11-26 08:00:00",
            "2026-11-26 12:00:00",
            &["install", "fibre-splicing", "richelieu"],
            &[(10, "Installed", "")],
            "",
        ),
        (
            4,
            5,
            "",
            "Survey",
            "Low",
            "Open",
            "",
            "",
            "",
            &["business"],
            &[],
            "",
        ),
        (
            2,
            3,
            "ISS-2026-00003",
            "Upgrade",
            "Normal",
            "Scheduled",
            "TECH-003",
            "2026-12-01 10:00:00",
            "2026-12-01 11:00:00",
            &["business", "vip"],
            &[],
            "",
        ),
        (
            7,
            8,
            "",
            "Removal",
            "Low",
            "Cancelled",
            "",
            "",
            "",
            &[],
            &[],
            "Client a rapporté l'équipement au bureau.",
        ),
    ];
    for (i, (c, loc, issue, kind, priority, status, tech, start, end, tags, rows, notes)) in
        jobs.into_iter().enumerate()
    {
        let tags: Vec<Value> = tags.iter().map(|t| json!({"tag": t})).collect();
        let rows: Vec<Value> = rows
            .iter()
            .map(|(se, action, note)| {
                let mut r = json!({"service_equipment": format!("SE-{se:05}"), "action": action});
                if !note.is_empty() {
                    r["notes"] = json!(note);
                }
                r
            })
            .collect();
        let name = CUSTOMERS[c].0;
        let mut doc = json!({
            "name": format!("DJ-2026-{:05}", i + 1), "customer": name,
            "service_location": format!("SL-{loc:05}"), "job_type": kind, "priority": priority,
            "status": status, "tags": tags, "equipment": rows,
            "description": format!("{kind} — {name}"),
        });
        for (key, value) in [
            ("issue", issue),
            ("technician", tech),
            ("scheduled_start", start),
            ("scheduled_end", end),
            ("resolution_notes", notes),
        ] {
            if !value.is_empty() {
                doc[key] = json!(value);
            }
        }
        if status == "Completed" {
            doc["completed_at"] = json!(end);
        }
        s.put("Dispatch Job", doc);
    }
}

fn billing(s: &mut Seeder<'_>) {
    // (customer index, location, plan, down, up, status, stripe id)
    let subs = [
        (
            0,
            1,
            "Fibre 1000",
            1000,
            1000,
            "Active",
            "cus_Qm7Tr3mblay01",
        ),
        (1, 2, "Fibre 500", 500, 500, "Active", "cus_Qm7Gagn0nJF02"),
        (
            2,
            3,
            "Affaires 1000",
            1000,
            1000,
            "Active",
            "cus_Qm7Petr1nD03",
        ),
        (3, 4, "Fibre 500", 500, 500, "Active", "cus_Qm7B0uchard04"),
        (
            4,
            5,
            "Affaires 1000",
            1000,
            1000,
            "Active",
            "cus_Qm7Cl1n1que05",
        ),
        (5, 6, "Fibre 300", 300, 300, "Unpaid", "cus_Qm7C0teLuc006"),
    ];
    for (i, (c, loc, plan, down, up, status, stripe)) in subs.into_iter().enumerate() {
        s.put(
            "Subscription",
            json!({
                "name": format!("ACC-SUB-2026-{:05}", i + 1), "party_type": "Customer",
                "party": CUSTOMERS[c].0, "status": status, "start_date": "2026-02-01",
                "current_invoice_start": "2026-11-01", "current_invoice_end": "2026-11-30",
                "days_until_due": 15, "generate_invoice_at_period_start": 1, "company": "Gigafibre",
                "plans": [{"plan": plan, "qty": 1}], "service_location": format!("SL-{loc:05}"),
                "plan_download_mbps": down, "plan_upload_mbps": up, "stripe_customer_id": stripe,
            }),
        );
    }
    // (customer index, item, label, rate, docstatus, status, outstanding, subscription)
    let invoices = [
        (
            0,
            "FIBRE-1000",
            "Internet Fibre 1000 Mb/s",
            75.0,
            1,
            "Paid",
            0.0,
            "ACC-SUB-2026-00001",
        ),
        (
            2,
            "AFFAIRES-1000",
            "Internet Affaires 1000 Mb/s",
            110.0,
            1,
            "Unpaid",
            126.47,
            "ACC-SUB-2026-00003",
        ),
        (
            3,
            "FIBRE-500",
            "Internet Fibre 500 Mb/s",
            75.0,
            0,
            "Draft",
            86.23,
            "ACC-SUB-2026-00004",
        ),
    ];
    for (i, (c, item, label, rate, docstatus, status, outstanding, sub)) in
        invoices.into_iter().enumerate()
    {
        let tps = (rate * 0.05_f64 * 100.0).round() / 100.0;
        let tvq = (rate * 0.09975_f64 * 100.0).round() / 100.0;
        let total = ((rate + tps + tvq) * 100.0_f64).round() / 100.0;
        s.put("Sales Invoice", json!({
            "name": format!("ACC-SINV-2026-{:05}", i + 1), "customer": CUSTOMERS[c].0,
            "customer_name": CUSTOMERS[c].0, "posting_date": "2026-11-01", "due_date": "2026-11-16",
            "currency": "CAD", "company": "Gigafibre", "subscription": sub,
            "items": [{"item_code": item, "item_name": label, "qty": 1.0, "uom": "Mois", "rate": rate, "amount": rate}],
            "taxes": [
                {"charge_type": "On Net Total", "account_head": "TPS à payer - GF", "description": "TPS 5 %", "rate": 5.0, "tax_amount": tps, "total": rate + tps},
                {"charge_type": "On Net Total", "account_head": "TVQ à payer - GF", "description": "TVQ 9,975 %", "rate": 9.975, "tax_amount": tvq, "total": total},
            ],
            "total": rate, "net_total": rate, "total_taxes_and_charges": tps + tvq,
            "grand_total": total, "rounded_total": total, "outstanding_amount": outstanding,
            "status": status, "docstatus": docstatus, "is_return": 0,
        }));
    }
    s.put("Payment Entry", json!({
        "name": "ACC-PAY-2026-00001", "payment_type": "Receive", "party_type": "Customer",
        "party": CUSTOMERS[0].0, "party_name": CUSTOMERS[0].0, "posting_date": "2026-11-03",
        "paid_amount": 86.23, "received_amount": 86.23, "paid_from": "Comptes clients - GF",
        "paid_to": "Stripe - GF", "mode_of_payment": "Carte de crédit",
        "reference_no": "pi_3QmT7rEmBlAy0001", "reference_date": "2026-11-03",
        "references": [{"reference_doctype": "Sales Invoice", "reference_name": "ACC-SINV-2026-00001",
            "due_date": "2026-11-16", "total_amount": 86.23, "outstanding_amount": 86.23, "allocated_amount": 86.23}],
        "status": "Submitted", "docstatus": 1, "company": "Gigafibre",
    }));
}

fn communications(s: &mut Seeder<'_>) {
    let comms = [
        (
            "3f2a9c1b01",
            "SMS de +1 450 555 0117",
            "Internet encore lent ce soir, 40 Mb/s au test.",
            "SMS",
            "Received",
            "+1 450 555 0117",
            "Issue",
            "ISS-2026-00001",
            1,
            "2026-11-25 20:14:03",
        ),
        (
            "3f2a9c1b02",
            "Appel entrant de +1 514 555 0178",
            "Le client confirme que l'ONT ne s'allume plus après la panne.",
            "Phone",
            "Received",
            "+1 514 555 0178",
            "Issue",
            "ISS-2026-00002",
            5,
            "2026-11-20 08:41:57",
        ),
        (
            "3f2a9c1b03",
            "Re: Aucune connexion depuis la panne de courant",
            "<p>Bonjour M. Côté, une technicienne passera demain entre 9 h et 11 h.</p>",
            "Email",
            "Sent",
            "",
            "Issue",
            "ISS-2026-00002",
            5,
            "2026-11-20 09:02:11",
        ),
        (
            "3f2a9c1b04",
            "SMS à +1 514 555 0142",
            "Votre technicien Alexandre arrive dans 30 minutes.",
            "SMS",
            "Sent",
            "+1 514 555 0142",
            "Dispatch Job",
            "DJ-2026-00001",
            0,
            "2026-02-10 07:31:40",
        ),
        (
            "3f2a9c1b05",
            "Note",
            "Client préfère les visites avant 7 h (ouverture de la boulangerie).",
            "Other",
            "Sent",
            "",
            "Customer",
            "Boulangerie Le Pétrin Doré inc.",
            2,
            "2026-03-01 14:05:00",
        ),
    ];
    for (name, subject, content, medium, direction, phone, ref_dt, ref_name, c, date) in comms {
        let customer = CUSTOMERS[c].0;
        let mut doc = json!({
            "name": name, "subject": subject, "content": content,
            "communication_type": if medium == "Other" { "Comment" } else { "Communication" },
            "communication_medium": medium, "sent_or_received": direction, "status": "Linked",
            "reference_doctype": ref_dt, "reference_name": ref_name, "communication_date": date,
            "timeline_links": [{"link_doctype": "Customer", "link_name": customer, "link_title": customer}],
        });
        if !phone.is_empty() {
            doc["phone_no"] = json!(phone);
        }
        if medium == "Email" {
            doc["sender"] = json!("support@gigafibre.ca");
            doc["recipients"] = json!(CUSTOMERS[c].4);
        }
        s.put("Communication", doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::ServerVersion;

    #[test]
    fn seed_is_complete_and_consistent() {
        let mut store = Store::new(ServerVersion::V15);
        seed(&mut store);
        let counts = [
            ("Tag", 8),
            ("User", 6),
            ("Technician", 4),
            ("Customer", 8),
            ("Contact", 8),
            ("Address", 8),
            ("Service Location", 9),
            ("Service Equipment", 11),
            ("Issue", 5),
            ("Dispatch Job", 8),
            ("Subscription", 6),
            ("Sales Invoice", 3),
            ("Payment Entry", 1),
            ("Communication", 5),
        ];
        for (dt, n) in counts {
            assert_eq!(store.all(dt).len(), n, "{dt}");
        }
        let contact = store.get_doc("Contact", "Marie-Claude Tremblay-Marie-Claude Tremblay");
        assert!(contact.is_ok(), "{contact:?}");
        assert!(store.get_doc("Address", "Luc Côté-Billing").is_ok());
        let se = store
            .get_doc("Service Equipment", "SE-00001")
            .unwrap_or_default();
        assert_eq!(se["serial_number"], "22C5A1000101");
        assert_eq!(se["mac_address"], "AA:BB:CC:10:01:01");
        assert_eq!(se["gpon_serial"], "TPLG1A2B3C01");
        assert_eq!(se["admin_password"], "************");
        assert_eq!(se["acs_device_id"], "1C61B4-Device2-22C5A1000101");
        let huawei = store
            .get_doc("Service Equipment", "SE-00011")
            .unwrap_or_default();
        assert_eq!(
            (&huawei["brand"], &huawei["model"], &huawei["status"]),
            (&json!("Huawei"), &json!("BM632w"), &json!("Installed"))
        );
        assert_eq!(huawei["acs_device_id"], "202BC1-BM632w-8KA8WA1151100043");
        let location = store
            .get_doc(
                "Service Location",
                huawei["service_location"].as_str().unwrap_or_default(),
            )
            .unwrap_or_default();
        assert_eq!(location["customer"], huawei["customer"]);
        let jobs = store.all("Dispatch Job");
        let names: Vec<&str> = jobs
            .iter()
            .flat_map(|j| j["equipment"].as_array().into_iter().flatten())
            .filter_map(|r| r["service_equipment"].as_str())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| store.get_doc("Service Equipment", n).is_ok()),
            "{names:?}"
        );
        let dj = store
            .get_doc("Dispatch Job", "DJ-2026-00001")
            .unwrap_or_default();
        assert_eq!(dj["equipment"][0]["doctype"], "Dispatch Job Equipment");
        assert_eq!(dj["tags"][0]["doctype"], "Dispatch Job Tag");
        let inv = store
            .get_doc("Sales Invoice", "ACC-SINV-2026-00002")
            .unwrap_or_default();
        assert_eq!(
            (inv["grand_total"].clone(), inv["docstatus"].clone()),
            (json!(126.47), json!(1))
        );
        let mut all: Vec<String> = Vec::new();
        for (dt, _) in counts {
            all.extend(
                store
                    .all(dt)
                    .iter()
                    .map(|d| d["creation"].as_str().unwrap_or_default().to_owned()),
            );
        }
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "creation timestamps are unique");
        assert!(sorted.last().is_some_and(|l| l.as_str() < "2026-06-01"));
    }
}
