"""The demo ICS's content: real national services described truthfully, typical local ones.

National services are described from their public pages. Local services are typical
of what ICSs offer and are made up for the demonstration, as is which practice offers what.
"""

ICS_NAME = "North East and North Cumbria: Northumberland"

# (slug, name, citizen label, description, national default service slug or None).
# A national default is only given where it works whatever the practice has switched on:
# the NHS App can order prescriptions or show a record only if the practice allows it.
CAPABILITIES = [
    ("self-triage", "Self triage", "Find out what to do about a symptom",
     "Answer questions about your symptoms and get told where to go, such as a pharmacy, your GP or A&E.",
     "nhs-111-online"),
    ("referral", "Referral and self-referral", "Refer yourself or manage a referral",
     "Refer yourself to some services without seeing a GP, or book and change a hospital referral.",
     "manage-your-referral"),
    ("condition-management", "Condition management", "Manage a long-term condition",
     "Track and manage a condition such as high blood pressure, diabetes or asthma.",
     "nhs-website"),
    ("advice", "Advice and guidance", "Get health advice",
     "Trusted information about conditions, treatments and staying well.",
     "nhs-website"),
    ("care-plans", "Care plans", "See your care plan",
     "See the plan you agreed with your care team.", None),
    ("test-results", "Test results", "See your test results",
     "See blood test and other results, often with a note from your doctor.", None),
    ("prescriptions", "Medications and repeat prescriptions", "Order a repeat prescription",
     "Order the medicines you take regularly and choose where to collect them.", None),
    ("health-record", "Health record", "See your GP health record",
     "See your allergies, vaccinations, medicines and other parts of your GP record.", None),
    ("correspondence", "Correspondence", "Read letters and messages",
     "Read letters and messages from your GP practice or hospital.", None),
    ("appointments", "Appointment management", "Book or change an appointment",
     "Book, check or cancel appointments.", None),
    ("screening", "Screening and alerts", "Get screening invitations and alerts",
     "Get reminders for screening and vaccinations on your phone.", None),
    ("contribute-record", "Contribute to my record", "Add information to your record",
     "Send readings such as your blood pressure or weight for your care team to see.", None),
]

LANGUAGES = [
    ("en", "English"), ("cy", "Welsh"), ("pl", "Polish"), ("ro", "Romanian"),
    ("ur", "Urdu"), ("bn", "Bengali"), ("ar", "Arabic"), ("zh", "Chinese"),
]

NATIONAL = "national"
ICS = "ics"
LOCAL = "local"

# Each service: its fields, and its capabilities' slugs.
SERVICES = [
    dict(
        slug="nhs-app", title="NHS App", provider="NHS England", scope=NATIONAL,
        summary="A free app and website to order repeat prescriptions, book appointments, see your GP health record and more.",
        service_url="https://www.nhs.uk/nhs-app/", channel_web=True, channel_ios=True, channel_android=True,
        nhs_login="p9", in_nhs_app=True, smartphone_needed=False,
        who_can_use="Anyone aged 13 or over who is registered with a GP surgery in England.",
        how_to_start="Download the NHS App from the App Store or Google Play, or go to the NHS App website on a computer. You will need to set up NHS login and prove who you are, using photo ID such as a passport or driving licence.",
        accessibility_statement_url="https://www.nhs.uk/nhs-app/nhs-app-legal-and-cookies/nhs-app-accessibility-statement/",
        assisted_help="The NHS App help and support pages explain each feature. Your GP practice can also help you get started, and some libraries have digital champions.",
        non_digital_alternative="Phone or visit your GP practice to order prescriptions, book appointments or ask for a copy of your record.",
        languages=["en", "cy"],
        capabilities=["care-plans", "test-results", "prescriptions", "health-record", "correspondence",
                      "appointments", "screening", "referral", "advice"],
    ),
    dict(
        slug="nhs-login", title="NHS login", provider="NHS England", scope=NATIONAL,
        summary="One secure way to sign in to the NHS App and to many other health and care websites and apps.",
        service_url="https://www.nhs.uk/nhs-services/online-services/nhs-log-in/", channel_web=True,
        channel_ios=True, channel_android=True, nhs_login="p5",
        who_can_use="Anyone aged 13 or over who lives in England.",
        how_to_start="You set up NHS login the first time you use a service that needs it. You need an email address and a mobile phone number. Some services also ask you to prove who you are with photo ID.",
        accessibility_statement_url="https://www.nhs.uk/nhs-services/online-services/nhs-log-in/",
        assisted_help="The NHS login help centre answers common questions, such as what to do if your ID is not accepted.",
        non_digital_alternative="You do not need NHS login to get care. You can phone or visit your GP practice instead.",
        languages=["en"], capabilities=[],
    ),
    dict(
        slug="nhs-website", title="NHS website", provider="NHS England", scope=NATIONAL,
        summary="Trusted information on hundreds of conditions, medicines and treatments, and how to find NHS services near you.",
        service_url="https://www.nhs.uk/", channel_web=True,
        who_can_use="Anyone. You do not need to sign in.",
        how_to_start="Go to the NHS website and search for a condition, medicine or service.",
        accessibility_statement_url="https://www.nhs.uk/accessibility-statement/",
        non_digital_alternative="A pharmacist can give you advice about many conditions without an appointment.",
        languages=["en"], capabilities=["advice", "condition-management"],
    ),
    dict(
        slug="nhs-111-online", title="NHS 111 online", provider="NHS England", scope=NATIONAL,
        summary="Answer questions about your symptoms and find out where to get help, any time of day or night.",
        service_url="https://111.nhs.uk/", channel_web=True, channel_phone=True, nhs_login="none",
        who_can_use="Anyone with an urgent health problem. You can use it for yourself or for someone else.",
        how_to_start="Go to 111.nhs.uk and choose your symptom. You do not need to sign in. In an emergency call 999.",
        accessibility_statement_url="https://111.nhs.uk/Help/Accessibility",
        assisted_help="If you cannot use the website, call 111. Deaf people can use the NHS 111 British Sign Language service.",
        non_digital_alternative="Call 111 free from any phone, any time.",
        languages=["en"], capabilities=["self-triage", "advice"],
    ),
    dict(
        slug="manage-your-referral", title="Manage your referral", provider="NHS England", scope=NATIONAL,
        summary="Book, check or change a hospital or clinic appointment after your GP refers you.",
        service_url="https://www.nhs.uk/nhs-services/hospitals/manage-your-referral/", channel_web=True,
        who_can_use="Anyone in England who has been referred by their GP and given a booking reference number and password.",
        how_to_start="Use the booking reference number and password from your referral letter, or sign in through the NHS App.",
        non_digital_alternative="Call the phone number on your referral letter.",
        languages=["en"], capabilities=["referral", "appointments"],
    ),
    dict(
        slug="nhs-talking-therapies", title="NHS Talking Therapies self-referral", provider="NHS England", scope=NATIONAL,
        summary="Refer yourself for free talking therapy for your mental health, such as anxiety, depression and stress, without seeing a GP.",
        service_url="https://www.nhs.uk/service-search/mental-health/find-an-nhs-talking-therapies-service",
        channel_web=True, channel_phone=True,
        who_can_use="Adults registered with a GP practice in England.",
        how_to_start="Find your local NHS Talking Therapies service and fill in its online form, or phone it.",
        non_digital_alternative="Phone your local NHS Talking Therapies service, or ask your GP to refer you.",
        languages=["en"], capabilities=["referral"],
    ),
    dict(
        slug="digital-weight-management", title="NHS Digital Weight Management Programme", provider="NHS England",
        scope=NATIONAL,
        summary="A free 12-week online programme to help adults living with obesity and diabetes or high blood pressure manage their weight.",
        service_url="https://www.england.nhs.uk/digital-weight-management/", channel_web=True,
        channel_ios=True, channel_android=True, smartphone_needed=True,
        who_can_use="Adults with a BMI over 30 (27.5 for some ethnic groups) who also have diabetes or high blood pressure, referred by their GP practice or pharmacy.",
        how_to_start="Ask your GP practice or community pharmacy to refer you. You will then choose a programme provider.",
        non_digital_alternative="Ask your GP practice about local weight management services you can attend in person.",
        languages=["en"], capabilities=["condition-management"],
    ),
    dict(
        slug="gp-online-consultation", title="Contact your GP practice online", provider="Your GP practice",
        scope=LOCAL,
        summary="Send your GP practice a request about a new problem, an ongoing condition or admin such as a fit note, and get a reply the same or next working day.",
        service_url="https://www.nhs.uk/service-search/find-a-gp", channel_web=True,
        who_can_use="Patients of GP practices that offer it. You can also ask on behalf of someone you care for.",
        how_to_start="Go to your practice's website and choose 'Contact us online'. Answer the questions. The practice will reply by text, email or phone.",
        assisted_help="Reception staff can fill in the form with you over the phone.",
        non_digital_alternative="Phone or visit your GP practice.",
        languages=["en", "pl", "ro", "ur", "bn", "ar", "zh"],
        capabilities=["self-triage", "advice", "appointments", "condition-management"],
    ),
    dict(
        slug="hospital-patient-portal", title="Hospital patient portal", provider="Northumbria Healthcare NHS Foundation Trust",
        scope=ICS,
        summary="See your hospital appointments and letters online, and tell the hospital if you need to change an appointment.",
        service_url="https://www.northumbria.nhs.uk/", channel_web=True, nhs_login="p9", in_nhs_app=True,
        who_can_use="Anyone aged 16 or over with appointments at the trust's hospitals.",
        how_to_start="Sign in with NHS login, or open Messages and hospital letters in the NHS App.",
        non_digital_alternative="Letters are still posted to you if you prefer. Phone the number on your letter to change an appointment.",
        languages=["en"], capabilities=["correspondence", "appointments", "test-results"],
    ),
    dict(
        slug="physio-self-referral", title="Physiotherapy self-referral", provider="Northumbria Healthcare NHS Foundation Trust",
        scope=ICS,
        summary="Refer yourself to NHS physiotherapy for back, joint and muscle problems without seeing a GP.",
        service_url="https://www.northumbria.nhs.uk/", channel_web=True, channel_phone=True,
        who_can_use="Adults registered with a GP practice in Northumberland or North Tyneside.",
        how_to_start="Fill in the online form. It takes about 10 minutes. A physiotherapist will contact you.",
        non_digital_alternative="Phone the physiotherapy booking line, or ask your GP practice.",
        languages=["en"], capabilities=["referral"],
    ),
    dict(
        slug="home-blood-pressure-monitoring", title="Home blood pressure monitoring", provider="Your GP practice",
        scope=LOCAL,
        summary="Take your blood pressure at home and send the readings to your GP practice by text or online.",
        service_url="https://www.nhs.uk/service-search/find-a-gp", channel_web=True, channel_phone=True,
        who_can_use="Patients with high blood pressure whose practice offers it. The practice can lend you a monitor.",
        how_to_start="Your practice will send you a text message with a link. Enter your readings twice a day for a week.",
        assisted_help="A member of the practice team can show you how to use the monitor.",
        non_digital_alternative="Write your readings on the paper form and hand it in at the practice.",
        languages=["en"], capabilities=["condition-management", "contribute-record"],
    ),
    dict(
        slug="adult-social-care-online", title="Adult social care online", provider="Northumberland County Council",
        scope=ICS,
        summary="Ask for a care and support assessment, find local care services and see your care and support plan.",
        service_url="https://www.northumberland.gov.uk/", channel_web=True, channel_phone=True,
        who_can_use="Adults living in Northumberland, and their carers.",
        how_to_start="Fill in the online form to ask for an assessment. You can do this for yourself or for someone you care for.",
        non_digital_alternative="Phone the council's adult social care team.",
        languages=["en"], capabilities=["referral", "care-plans"],
    ),
]

# Organisations other than practices and PCNs. Councils and voluntary bodies carry
# their ONS or a local identifier in the ODS code field.
ORGANISATIONS = [
    dict(ods_code="QHM", name="NHS North East and North Cumbria Integrated Care Board", kind="icb",
         place="Northumberland", town="Newcastle upon Tyne", website="https://northeastnorthcumbria.nhs.uk/"),
    dict(ods_code="RTF", name="Northumbria Healthcare NHS Foundation Trust", kind="trust",
         place="Northumberland", town="North Shields", website="https://www.northumbria.nhs.uk/"),
    dict(ods_code="RX4", name="Cumbria, Northumberland, Tyne and Wear NHS Foundation Trust", kind="trust",
         place="Northumberland", town="Newcastle upon Tyne", website="https://www.cntw.nhs.uk/"),
    dict(ods_code="E06000057", name="Northumberland County Council", kind="local_authority",
         place="Northumberland", town="Morpeth", website="https://www.northumberland.gov.uk/"),
    dict(ods_code="VCSDEMO1", name="Northumberland Digital Champions Network", kind="voluntary",
         place="Northumberland", town="Morpeth"),
]

# PCN groupings for the demo (made up): place name -> synthetic PCN code.
PCNS = {
    "North Northumberland": "U99001",
    "Central Northumberland": "U99002",
    "Blyth": "U99003",
    "Cramlington and Seaton Delaval": "U99004",
    "Ashington and Bedlington": "U99005",
    "Tynedale": "U99006",
}

# Help getting online: (name, kind, place, description, address, opening times, phone)
SUPPORT = [
    ("Alnwick Library", "library", "North Northumberland",
     "Free use of computers and Wi-Fi. Staff can help you set up the NHS App and NHS login.",
     "Alnwick Library, Green Batt, Alnwick", "Monday to Saturday, 9:30am to 5pm", ""),
    ("Berwick Library", "library", "North Northumberland",
     "Free computers, Wi-Fi and printing of up to 10 pages a week.",
     "Berwick Library, Walkergate, Berwick-upon-Tweed", "Monday to Friday, 9:30am to 5pm", ""),
    ("Morpeth Library digital drop-in", "course", "Central Northumberland",
     "Bring your phone or tablet to a friendly drop-in session and get help with email, video calls and health apps.",
     "Morpeth Library, Gas House Lane, Morpeth", "Tuesdays, 10am to 12pm", ""),
    ("Blyth digital champions", "digital_champions", "Blyth",
     "Trained volunteers help you one to one, at your own pace, with anything from switching on a tablet to ordering prescriptions online.",
     "Blyth Library, Bridge Street, Blyth", "Thursdays, 1pm to 4pm", ""),
    ("Free mobile data (National Databank)", "data_scheme", "Blyth",
     "If you cannot afford to get online, you can get a free SIM card with mobile data, texts and calls.",
     "Ask at the Blyth Library help desk", "During library opening hours", ""),
    ("Cramlington device loan scheme", "device_scheme", "Cramlington and Seaton Delaval",
     "Borrow a tablet with data for up to 3 months while you learn how to use it. Support included.",
     "Cramlington Library, Forum Way, Cramlington", "Monday to Friday, 10am to 4pm", ""),
    ("Ashington digital champions", "digital_champions", "Ashington and Bedlington",
     "Volunteers help you get online, set up NHS login and use the NHS App. No question is too simple.",
     "Ashington Leisure Centre, Institute Road, Ashington", "Wednesdays, 10am to 1pm", ""),
    ("Bedlington Library", "library", "Ashington and Bedlington",
     "Free computers and Wi-Fi, and help to get started online.",
     "Bedlington Library, Front Street West, Bedlington", "Monday to Saturday, 9:30am to 5pm", ""),
    ("Hexham Library", "library", "Tynedale",
     "Free computers and Wi-Fi. Staff can show you how to use NHS websites.",
     "Hexham Library, Queen's Hall, Beaumont Street, Hexham", "Monday to Saturday, 9:30am to 5pm", ""),
    ("Tynedale rural digital help line", "helpline", "Tynedale",
     "Phone a volunteer for help getting online if you live too far from a library.",
     "", "Monday to Friday, 10am to 3pm", "0191 498 0123"),
]
