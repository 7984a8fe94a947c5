def test_park_directory_lists_the_demo_network(person):
    person.goto("/")
    person.click_link("园区目录")
    person.see("包河区社会组织创新园", "方兴社区社会组织孵化基地")
    person.shot("园区目录")
