//! Issue 19: names beside pictures as real school sites write them, each
//! shape on a small site of invented names.

use crate::support::*;

#[tokio::test]
async fn a_placeholder_on_every_staff_profile_is_not_named_by_their_titles() {
    // A WordPress staff directory: each profile's title names its person;
    // those without a photo show one placeholder. The profile with a
    // photo of its own keeps its title's name.
    let profile = |name: &str, img: &str| {
        format!(
            "<html><head><title>{name} - Staff - Oakfield School</title></head><body>\
             <main><h1>{name}</h1><img src='{img}'><p>Joined the school in 2019.</p></main></body></html>"
        )
    };
    let site =
        Site::start(vec![
        (
            "/",
            html(
                "<html><body><a href='/staff/anna-able/'>A</a><a href='/staff/ben-baker/'>B</a>\
                 <a href='/staff/cara-cole/'>C</a><a href='/staff/dylan-rees/'>D</a></body></html>",
            ),
        ),
        ("/staff/anna-able/", html(&profile("Anna Able", "/img/placeholder.png"))),
        ("/staff/ben-baker/", html(&profile("Ben Baker", "/img/placeholder.png"))),
        ("/staff/cara-cole/", html(&profile("Cara Cole", "/img/placeholder.png"))),
        ("/staff/dylan-rees/", html(&profile("Dylan Rees", "/img/dylan.jpg"))),
        ("/img/placeholder.png", jpeg(resized_jpeg("coffee.png", 300, 85))),
        ("/img/dylan.jpg", jpeg(resized_jpeg("grace_hopper.jpg", 300, 85))),
    ])
        .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let a = audit(&cfg).await;
    let placeholder = names_on(exposure_with(&a.report, "/img/placeholder.png"));
    assert!(
        placeholder.iter().all(|(_, w)| w != "page_title"),
        "{placeholder:?}"
    );
    let dylan = names_on(exposure_with(&a.report, "/img/dylan.jpg"));
    assert!(
        dylan.contains(&("Dylan Rees".to_string(), "page_title".to_string())),
        "{dylan:?}"
    );
}

#[tokio::test]
async fn a_cms_staff_page_gives_each_photo_its_own_name() {
    // Session 11's shapes from real sites: a row of photos in lightbox
    // links with the names spaced out on the line below, an editor's empty
    // link to another picture inside that line, and one group photo shown
    // above each staff member's paragraph on another page.
    let staff = "<html><head><title>Meet our staff</title></head><body><div>\
        <h3><a href='/img/a.jpg'><img src='/img/a.jpg'></a>&nbsp;&nbsp;<a href='/img/b.jpg'><img src='/img/b.jpg'></a>\
        <span>&nbsp; </span><a href='/img/c.jpg'><img src='/img/c.jpg'></a></h3>\
        <h3><span>&nbsp; Mrs Able&nbsp; &nbsp;&nbsp; Mr Baker&nbsp; &nbsp; Miss Cole</span><a href='/img/old.jpg'>&nbsp;</a></h3>\
        </div></body></html>";
    let team = "<html><head><title>Committee</title></head><body><div id='page'>\
        <div><img src='/img/group.jpg'><p><b>Dylan Rees</b> - Chair</p><p>Dylan has chaired us since 2019.</p></div>\
        <div><img src='/img/group.jpg'><p><b>Elin Hughes</b> - Treasurer</p></div>\
        <div><img src='/img/group.jpg'><p><b>Ffion Price</b> - Secretary</p></div>\
        </div></body></html>";
    let site = Site::start(vec![
        (
            "/",
            html("<html><body><a href='/staff/'>Staff</a><a href='/committee/'>Committee</a></body></html>"),
        ),
        ("/staff/", html(staff)),
        ("/committee/", html(team)),
        ("/img/a.jpg", jpeg(resized_jpeg("grace_hopper.jpg", 300, 85))),
        ("/img/b.jpg", jpeg(resized_jpeg("astronaut.png", 300, 85))),
        ("/img/c.jpg", jpeg(resized_jpeg("camera.png", 300, 85))),
        ("/img/old.jpg", jpeg(resized_jpeg("rocket.jpg", 300, 85))),
        ("/img/group.jpg", jpeg(resized_jpeg("chelsea.png", 300, 85))),
    ])
    .await;
    let dir = tempdir();
    let cfg = config(&config_text(&db_in(&dir), &site.url("/"), ""));
    let a = audit(&cfg).await;
    let people = |suffix: &str| -> Vec<String> {
        let mut v: Vec<String> = names_on(exposure_with(&a.report, suffix))
            .into_iter()
            .filter(|(_, w)| w == "nearby_text")
            .map(|(n, _)| n)
            .collect();
        v.dedup();
        v
    };
    assert_eq!(people("/img/a.jpg"), ["Mrs Able"]);
    assert_eq!(people("/img/b.jpg"), ["Mr Baker"]);
    assert_eq!(people("/img/c.jpg"), ["Miss Cole"]);
    assert!(
        people("/img/old.jpg").is_empty(),
        "{:?}",
        people("/img/old.jpg")
    );
    let group = people("/img/group.jpg");
    for name in ["Dylan Rees", "Elin Hughes", "Ffion Price"] {
        assert!(group.iter().any(|n| n == name), "{group:?}");
    }
}
